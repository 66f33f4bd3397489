package action

import (
	"context"
	"errors"
	"strings"

	"github.com/deskflow/deskflow/internal/integration/slack"
	"github.com/deskflow/deskflow/internal/integration/teams"
	"github.com/deskflow/deskflow/internal/integration/webhook"
)

// integrationError turns an error of an integration client into the step's
// error: a time-out stays itself (the engine reports the step timed out),
// failures explained by the service's answer or the configuration become
// step Errors, anything else (a database error) stays internal. Credential
// values never reach the message.
func integrationError(err error, creds map[string]string) error {
	if err == nil {
		return nil
	}
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		if msg := redactCredentials(err.Error(), creds); msg != err.Error() {
			return errors.New(msg)
		}
		return err
	}
	var se *slack.Error
	var te *teams.Error
	var we *webhook.Error
	if errors.As(err, &se) || errors.As(err, &te) || errors.As(err, &we) {
		return Failf("%s", redactCredentials(err.Error(), creds))
	}
	if msg := redactCredentials(err.Error(), creds); msg != err.Error() {
		return errors.New(msg)
	}
	return err
}

// redactCredentials replaces credential values found in s.
func redactCredentials(s string, creds map[string]string) string {
	for _, v := range creds {
		if len(v) >= 8 && strings.Contains(s, v) {
			s = strings.ReplaceAll(s, v, "[redacted]")
		}
	}
	return s
}
