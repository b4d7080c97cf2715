//go:build !windows

package oserr

func errnoTexts() []errnoText { return commonErrnos() }
