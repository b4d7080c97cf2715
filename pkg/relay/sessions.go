package relay

import (
	"context"
	"strconv"
	"sync"
	"time"

	"github.com/msmtp-go/msmtp/pkg/config"
	"github.com/msmtp-go/msmtp/pkg/delivery"
)

// DefaultSessionIdle is how long an upstream session stays open after a mail when
// Backend.SessionIdle is zero.
const DefaultSessionIdle = 5 * time.Second

// maxIdlePerAccount bounds the idle sessions kept for one account: one per concurrent
// client that may come back soon, no more.
const maxIdlePerAccount = 8

// sessionCache keeps upstream sessions between mails, so that a burst of mails from local
// clients (a cron run, a web application's notifications) costs one connection, one TLS
// handshake and one login instead of one each — what Postfix calls connection caching.
// A session is put back only after a mail went through without error; before reuse it is
// reset with RSET, and one that does not answer is closed and replaced.
type sessionCache struct {
	mu     sync.Mutex
	idle   map[string][]*idleSession
	closed bool
}

type idleSession struct {
	s     *delivery.Session
	timer *time.Timer
}

// sessionKey identifies the upstream an account's sessions go to: the account (its file and
// name) and the server, so that accounts resolved differently never share a session.
func sessionKey(a *config.Account) string {
	return a.File + "\x00" + a.Name + "\x00" + a.Host.Value + "\x00" + strconv.Itoa(a.Port) + "\x00" + a.Socket + "\x00" + a.User
}

// get returns an idle session for key, reset and ready, or nil.
func (c *sessionCache) get(ctx context.Context, key string) *delivery.Session {
	for {
		c.mu.Lock()
		list := c.idle[key]
		if len(list) == 0 {
			c.mu.Unlock()
			return nil
		}
		is := list[len(list)-1]
		c.idle[key] = list[:len(list)-1]
		c.mu.Unlock()
		is.timer.Stop()
		if err := is.s.Reset(ctx); err != nil {
			// The server closed it while it was idle, or it broke: drop it, try the next.
			_ = is.s.Close()
			continue
		}
		return is.s
	}
}

// put keeps s for key for idle, or closes it when the cache is full or closed.
func (c *sessionCache) put(key string, s *delivery.Session, idle time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed || len(c.idle[key]) >= maxIdlePerAccount {
		go func() { _ = s.Close() }()
		return
	}
	if c.idle == nil {
		c.idle = map[string][]*idleSession{}
	}
	is := &idleSession{s: s}
	is.timer = time.AfterFunc(idle, func() { c.expire(key, is) })
	c.idle[key] = append(c.idle[key], is)
}

// expire closes an idle session whose time is up, unless it was taken meanwhile.
func (c *sessionCache) expire(key string, is *idleSession) {
	c.mu.Lock()
	list := c.idle[key]
	for i, x := range list {
		if x == is {
			c.idle[key] = append(list[:i:i], list[i+1:]...)
			c.mu.Unlock()
			_ = is.s.Close()
			return
		}
	}
	c.mu.Unlock()
}

// close ends every idle session (QUIT) and keeps no more.
func (c *sessionCache) close() {
	c.mu.Lock()
	c.closed = true
	idle := c.idle
	c.idle = nil
	c.mu.Unlock()
	for _, list := range idle {
		for _, is := range list {
			is.timer.Stop()
			_ = is.s.Close()
		}
	}
}
