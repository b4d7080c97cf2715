//go:build !windows

package smtpclient

func errnoTexts() []errnoText { return commonErrnos() }
