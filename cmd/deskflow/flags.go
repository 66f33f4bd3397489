package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/deskflow/deskflow/internal/app"
)

// command is one subcommand's flags. Every flag may have an environment
// variable that stands in for it: the variable's value is applied first
// (a value the flag refuses is an error naming the variable), then the
// command line overrides it.
type command struct {
	name, summary string
	fs            *flag.FlagSet
	env           map[string]string // flag name → variable
	order         []string
}

// errHelp ends a command that printed its help: exit status 0.
var errHelp = errors.New("help printed")

func newCommand(name, summary string) *command {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	return &command{name: name, summary: summary, fs: fs, env: map[string]string{}}
}

func (c *command) record(name, env string) {
	c.order = append(c.order, name)
	if env != "" {
		c.env[name] = env
	}
}

func (c *command) String(name, env, def, usage string) *string {
	c.record(name, env)
	return c.fs.String(name, def, usage)
}

func (c *command) Int(name, env string, def int, usage string) *int {
	c.record(name, env)
	return c.fs.Int(name, def, usage)
}

func (c *command) Int64(name, env string, def int64, usage string) *int64 {
	c.record(name, env)
	return c.fs.Int64(name, def, usage)
}

func (c *command) Float64(name, env string, def float64, usage string) *float64 {
	c.record(name, env)
	return c.fs.Float64(name, def, usage)
}

func (c *command) Duration(name, env string, def time.Duration, usage string) *time.Duration {
	c.record(name, env)
	return c.fs.Duration(name, def, usage)
}

func (c *command) Bool(name, env string, def bool, usage string) *bool {
	c.record(name, env)
	return c.fs.Bool(name, def, usage)
}

// DatabaseURL adds the --database-url flag every database command has.
func (c *command) DatabaseURL() *string {
	return c.String("database-url", "DESKFLOW_DATABASE_URL", app.DefaultDatabaseURL, "postgres://…, sqlite:PATH or a file path")
}

// parse applies the environment, then args; -h or --help prints the
// command's help to stdout and returns errHelp.
func (c *command) parse(args []string, stdout io.Writer) error {
	for _, name := range c.order {
		key, ok := c.env[name]
		if !ok {
			continue
		}
		if v := os.Getenv(key); v != "" {
			if err := c.fs.Set(name, v); err != nil {
				return usageError{fmt.Sprintf("%s=%q: %v", key, v, err)}
			}
		}
	}
	if err := c.fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			c.help(stdout)
			return errHelp
		}
		return usageError{err.Error()}
	}
	if c.fs.NArg() > 0 {
		return usageError{fmt.Sprintf("unexpected argument %q", c.fs.Arg(0))}
	}
	return nil
}

// help prints the command's summary and, per flag, its default and the
// variable that stands in for it.
func (c *command) help(w io.Writer) {
	fmt.Fprintf(w, "usage: deskflow %s [flags]\n\n%s\n\nflags:\n", c.name, c.summary)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	for _, name := range c.order {
		f := c.fs.Lookup(name)
		var notes []string
		if f.DefValue != "" && f.DefValue != "0" && f.DefValue != "false" {
			notes = append(notes, "default "+f.DefValue)
		}
		if key, ok := c.env[name]; ok {
			notes = append(notes, "env "+key)
		}
		extra := ""
		if len(notes) > 0 {
			extra = " (" + strings.Join(notes, ", ") + ")"
		}
		fmt.Fprintf(tw, "  --%s\t%s%s\n", name, f.Usage, extra)
	}
	tw.Flush()
}

// retention is a flag value for how long to keep something: a Go duration
// ("12h"), whole days ("30d"), or "forever".
type retention struct{ d *time.Duration }

func (r retention) String() string {
	switch {
	case r.d == nil:
		return ""
	case *r.d < 0:
		return "forever"
	case *r.d%(24*time.Hour) == 0:
		return strconv.FormatInt(int64(*r.d/(24*time.Hour)), 10) + "d"
	}
	return r.d.String()
}

func (r retention) Set(s string) error {
	if s == "forever" {
		*r.d = -1
		return nil
	}
	d, err := time.ParseDuration(s)
	if days, ok := strings.CutSuffix(s, "d"); ok {
		var n int64
		n, err = strconv.ParseInt(days, 10, 64)
		d = time.Duration(n) * 24 * time.Hour
	}
	if err != nil || d <= 0 {
		return fmt.Errorf("want a positive duration such as 30d or 12h, or forever")
	}
	*r.d = d
	return nil
}

// Retention adds a flag of a retention period.
func (c *command) Retention(name, env string, def time.Duration, usage string) *time.Duration {
	c.record(name, env)
	d := def
	c.fs.Var(retention{&d}, name, usage)
	return &d
}
