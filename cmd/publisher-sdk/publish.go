package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/harborai/ingest/internal/cli"
	"github.com/harborai/ingest/pkg/event"
	"github.com/harborai/ingest/pkg/harborai"
)

type publishSummary struct {
	Lines     int   `json:"lines"`
	Published int64 `json:"published"`
	Rejected  int   `json:"rejected"`
	Dropped   int64 `json:"dropped"`
}

func publish(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("publish", flag.ContinueOnError)
	fs.SetOutput(stderr)
	natsURL := fs.String("nats-url", cli.Env("HARBORAI_NATS_URL", cli.DefaultNATSURL), "NATS server ($HARBORAI_NATS_URL)")
	cli.MaskDefault(fs, "nats-url") // a NATS URL may carry user:password
	timeout := fs.Duration("timeout", 30*time.Second, "how long to wait for the broker's acks at the end")
	if err := fs.Parse(args); err != nil {
		return cli.FlagStatus(err)
	}
	if errs := checkConnFlags(*natsURL, *timeout); len(errs) > 0 {
		usageErrors(stderr, "publisher-sdk publish", errs)
		return 2
	}
	files := fs.Args()
	if len(files) == 0 {
		files = []string{"-"}
	}
	pub, conn, err := dial(*natsURL, harborai.WithQueueSize(100000))
	if err != nil {
		fmt.Fprintln(stderr, "publisher-sdk:", err)
		return 1
	}
	var sum publishSummary
	for _, name := range files {
		if err := publishFile(name, stdin, pub, &sum, stderr); err != nil {
			fmt.Fprintln(stderr, "publisher-sdk:", err)
			ctx, cancel := context.WithTimeout(context.Background(), *timeout)
			_ = pub.Close(ctx)
			cancel()
			return 1
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), *timeout)
	defer cancel()
	cerr := pub.Close(ctx)
	st := pub.Stats()
	sum.Published, sum.Dropped = st.Published, st.Dropped
	_ = json.NewEncoder(stdout).Encode(sum)
	if cerr != nil {
		if why := conn.trouble(*natsURL); why != nil {
			fmt.Fprintf(stderr, "publisher-sdk: %d events not acknowledged within %s: %v\n", st.Dropped, *timeout, why)
		} else {
			fmt.Fprintf(stderr, "publisher-sdk: %d events not acknowledged by %s within %s\n", st.Dropped, cli.MaskPassword(*natsURL), *timeout)
		}
		return 1
	}
	if sum.Rejected > 0 || sum.Dropped > 0 {
		return 1
	}
	return 0
}

func publishFile(name string, stdin io.Reader, pub *harborai.Publisher, sum *publishSummary, stderr io.Writer) error {
	r := stdin
	if name != "-" {
		f, err := os.Open(name)
		if err != nil {
			return err
		}
		defer f.Close()
		r = f
	}
	br := bufio.NewReaderSize(r, 1<<20)
	line := 0
	for {
		raw, tooLong, err := readLine(br, event.MaxSize)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return fmt.Errorf("%s: line %d: %w", name, line+1, err)
		}
		line++
		if tooLong {
			sum.Lines++
			sum.Rejected++
			fmt.Fprintf(stderr, "%s:%d: event larger than %d bytes, skipped\n", name, line, event.MaxSize)
			continue
		}
		if len(bytes.TrimSpace(raw)) == 0 {
			continue
		}
		sum.Lines++
		ev, err := event.Decode(raw, 0)
		if err != nil {
			sum.Rejected++
			fmt.Fprintf(stderr, "%s:%d: %v\n", name, line, err)
			continue
		}
		for errors.Is(pub.Publish(ev), harborai.ErrDropped) {
			time.Sleep(time.Millisecond) // a file is not an app call: wait for room
		}
	}
	return nil
}

// readLine returns the next line without its newline. A line longer than
// limit is read to its end and reported as tooLong, so one bad line cannot
// stop the rest. io.EOF comes only when no line is left.
func readLine(br *bufio.Reader, limit int) (line []byte, tooLong bool, err error) {
	var buf []byte
	for {
		chunk, err := br.ReadSlice('\n')
		if len(buf)+len(chunk) <= limit+1 {
			buf = append(buf, chunk...)
		} else {
			tooLong = true
		}
		switch {
		case errors.Is(err, bufio.ErrBufferFull):
			continue
		case errors.Is(err, io.EOF) && (len(buf) > 0 || tooLong):
			return bytes.TrimRight(buf, "\r\n"), tooLong, nil
		case err != nil:
			return nil, false, err
		}
		return bytes.TrimRight(buf, "\r\n"), tooLong, nil
	}
}
