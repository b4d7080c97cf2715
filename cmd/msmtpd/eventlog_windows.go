package main

// The Windows Event Log as a log target: the Application log, with the service's name as the
// event source. `msmtpd service install` registers the source (with EventCreate.exe as its
// message file, so that Event Viewer shows our text as it is) and `service uninstall` removes
// it. Writing needs no registration: an unregistered source still logs, and Event Viewer then
// prefixes the text with a note that the description is missing.

import (
	"errors"
	"sync"

	"golang.org/x/sys/windows"
	"golang.org/x/sys/windows/registry"
	"golang.org/x/sys/windows/svc/eventlog"
)

// Event IDs. EventCreate.exe's message table maps every ID from 1 to 1000 to the text as
// given; one ID per level lets an administrator filter by it.
const (
	eventIDInfo  = 1
	eventIDError = 3
)

// eventLogSink writes lines to the Event Log. It renders only the message: the Event Log
// records the time, the source and the process itself.
type eventLogSink struct {
	mu  sync.Mutex
	log *eventlog.Log
}

// openEventLogSink opens the Event Log for the source.
func openEventLogSink(source string) (logSink, error) {
	return openEventLog(source)
}

func openEventLog(source string) (*eventLogSink, error) {
	l, err := eventlog.Open(source)
	if err != nil {
		return nil, err
	}
	return &eventLogSink{log: l}, nil
}

func (s *eventLogSink) write(failed bool, msg string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.log == nil {
		return errors.New("the event log is closed")
	}
	if failed {
		return s.log.Error(eventIDError, msg)
	}
	return s.log.Info(eventIDInfo, msg)
}

func (s *eventLogSink) close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.log == nil {
		return nil
	}
	err := s.log.Close()
	s.log = nil
	return err
}

// eventSourceKey is where the Event Log keeps the sources of the Application log.
const eventSourceKey = `SYSTEM\CurrentControlSet\Services\EventLog\Application\`

// installEventSource registers source for the Application log, unless it is registered
// already (by an earlier installation, say): then it is left as it is.
func installEventSource(source string) error {
	k, err := registry.OpenKey(registry.LOCAL_MACHINE, eventSourceKey+source, registry.QUERY_VALUE)
	if err == nil {
		k.Close()
		return nil
	}
	if !errors.Is(err, windows.ERROR_FILE_NOT_FOUND) {
		return err
	}
	return eventlog.InstallAsEventCreate(source, eventlog.Error|eventlog.Warning|eventlog.Info)
}

// removeEventSource removes the registration of source; one that is not there is no error.
func removeEventSource(source string) error {
	err := eventlog.Remove(source)
	if errors.Is(err, windows.ERROR_FILE_NOT_FOUND) {
		return nil
	}
	return err
}
