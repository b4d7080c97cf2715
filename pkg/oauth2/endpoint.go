package oauth2

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	xoauth2 "golang.org/x/oauth2"
)

// This file makes the token requests that x/oauth2 cannot make the way msmtp needs them: a
// refresh that sends the scopes (Microsoft wants them) and a device-code poll on the
// injected clock (x/oauth2's DeviceAccessToken waits on the real one). Both read the answer
// with an exact classification: a network failure or a 5xx is temporary, an OAuth2 error
// code is the provider's word.

// maxResponse bounds what is read of an endpoint's answer.
const maxResponse = 1 << 20

// tokenResponse is an access token response (RFC 6749 §5.1) or error response (§5.2).
type tokenResponse struct {
	AccessToken      string  `json:"access_token"`
	TokenType        string  `json:"token_type"`
	RefreshToken     string  `json:"refresh_token"`
	ExpiresIn        seconds `json:"expires_in"`
	Error            string  `json:"error"`
	ErrorDescription string  `json:"error_description"`
}

// seconds is expires_in: a JSON number, or a string holding one (some servers quote it).
type seconds int64

func (s *seconds) UnmarshalJSON(b []byte) error {
	str := strings.Trim(string(b), `"`)
	if str == "" || str == "null" {
		*s = 0
		return nil
	}
	n, err := strconv.ParseInt(str, 10, 64)
	if err != nil {
		f, ferr := strconv.ParseFloat(str, 64)
		if ferr != nil {
			return fmt.Errorf("expires_in %s: %w", b, err)
		}
		n = int64(f)
	}
	*s = seconds(n)
	return nil
}

// expiry turns expires_in into a time; 0 or less means "not said".
func expiry(now time.Time, s int64) time.Time {
	if s <= 0 {
		return time.Time{}
	}
	return now.Add(time.Duration(s) * time.Second)
}

// post sends form to endpoint and returns the token in the answer, or a *TemporaryError or
// *EndpointError.
func (s *Source) post(ctx context.Context, endpoint string, form url.Values) (Token, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint, strings.NewReader(form.Encode()))
	if err != nil {
		return Token{}, &ConfigError{Account: s.cfg.Account, Msg: "invalid OAuth2 endpoint " + endpoint, Err: err}
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	resp, err := s.httpClient().Do(req)
	if err != nil {
		return Token{}, &TemporaryError{URL: endpoint, Err: unwrapURLError(err)}
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxResponse))
	if err != nil {
		return Token{}, &TemporaryError{URL: endpoint, Status: resp.StatusCode, Err: err}
	}
	return s.parseTokenResponse(endpoint, resp.StatusCode, resp.Header.Get("Content-Type"), body)
}

// unwrapURLError drops net/http's "Post URL:" wrapper: TemporaryError names the URL.
func unwrapURLError(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err
	}
	return err
}

func (s *Source) parseTokenResponse(endpoint string, status int, contentType string, body []byte) (Token, error) {
	var tr tokenResponse
	var parseErr error
	if mt, _, _ := mime.ParseMediaType(contentType); mt == "application/x-www-form-urlencoded" || mt == "text/plain" {
		// Some servers answer in the request's encoding.
		vals, err := url.ParseQuery(string(body))
		parseErr = err
		n, _ := strconv.ParseInt(vals.Get("expires_in"), 10, 64)
		tr = tokenResponse{
			AccessToken: vals.Get("access_token"), TokenType: vals.Get("token_type"), RefreshToken: vals.Get("refresh_token"),
			ExpiresIn: seconds(n), Error: vals.Get("error"), ErrorDescription: vals.Get("error_description"),
		}
	} else {
		parseErr = json.Unmarshal(body, &tr)
	}
	switch {
	case status >= 500 || status == http.StatusTooManyRequests || status == http.StatusRequestTimeout:
		return Token{}, &TemporaryError{URL: endpoint, Status: status}
	case tr.Error == "temporarily_unavailable" || tr.Error == "server_error":
		return Token{}, &TemporaryError{URL: endpoint, Status: status, Err: errors.New(tr.Error)}
	case tr.Error != "" || status < 200 || status > 299:
		return Token{}, &EndpointError{URL: endpoint, Status: status, Code: tr.Error, Description: tr.ErrorDescription}
	case parseErr != nil:
		return Token{}, &TemporaryError{URL: endpoint, Status: status, Err: fmt.Errorf("invalid answer: %w", parseErr)}
	case tr.AccessToken == "":
		return Token{}, &TemporaryError{URL: endpoint, Status: status, Err: errors.New("invalid answer: no access_token")}
	}
	return Token{
		AccessToken: tr.AccessToken, TokenType: tr.TokenType, RefreshToken: tr.RefreshToken,
		Expiry: expiry(s.now(), int64(tr.ExpiresIn)),
	}, nil
}

// fromRetrieveError classifies an error of x/oauth2 (DeviceAuth, Exchange) like post's.
func fromRetrieveError(endpoint string, err error) error {
	var re *xoauth2.RetrieveError
	if !errors.As(err, &re) {
		return &TemporaryError{URL: endpoint, Err: unwrapURLError(err)}
	}
	status := 0
	if re.Response != nil {
		status = re.Response.StatusCode
	}
	switch {
	case status >= 500 || status == http.StatusTooManyRequests || status == http.StatusRequestTimeout:
		return &TemporaryError{URL: endpoint, Status: status}
	case re.ErrorCode == "temporarily_unavailable" || re.ErrorCode == "server_error":
		return &TemporaryError{URL: endpoint, Status: status, Err: errors.New(re.ErrorCode)}
	}
	return &EndpointError{URL: endpoint, Status: status, Code: re.ErrorCode, Description: re.ErrorDescription}
}
