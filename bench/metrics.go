package bench

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Metrics are scraped Prometheus samples, by series ("name" or
// "name{labels}" as exposed).
type Metrics map[string]float64

// Get sums the samples of the metric name over all its label sets.
func (m Metrics) Get(name string) float64 {
	var sum float64
	for series, v := range m {
		if series == name || strings.HasPrefix(series, name+"{") {
			sum += v
		}
	}
	return sum
}

// Scrape reads the Prometheus text exposition at http://addr/metrics.
func Scrape(ctx context.Context, addr string) (Metrics, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+addr+"/metrics", nil)
	if err != nil {
		return nil, err
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, fmt.Errorf("scrape %s: %w", addr, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("scrape %s: %s", addr, resp.Status)
	}
	m := Metrics{}
	sc := bufio.NewScanner(resp.Body)
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for sc.Scan() {
		line := sc.Text()
		if line == "" || line[0] == '#' {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		if i < 0 {
			continue
		}
		v, err := strconv.ParseFloat(line[i+1:], 64)
		if err == nil {
			m[line[:i]] = v
		}
	}
	return m, sc.Err()
}

// Ready polls http://addr/readyz until it answers 200 or timeout passes.
func Ready(addr string, timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	client := &http.Client{Timeout: time.Second}
	for {
		resp, err := client.Get("http://" + addr + "/readyz")
		if err == nil {
			_, _ = io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		if time.Now().After(deadline) {
			return errors.New("not ready within " + timeout.String())
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// WaitStored polls the metrics at addr every interval until the ingestor
// has stored at least events events (harborai_batch_size_sum: a batch is
// counted once committed and acknowledged), and returns the largest
// consumer backlog it saw (harborai_consumer_pending, messages). Polling the
// metrics rather than the table keeps the measurement off PostgreSQL.
func WaitStored(ctx context.Context, addr string, events float64, interval time.Duration) (maxPending float64, err error) {
	for {
		m, err := Scrape(ctx, addr)
		if err == nil {
			maxPending = max(maxPending, m.Get("harborai_consumer_pending"))
			if m.Get("harborai_batch_size_sum") >= events {
				return maxPending, nil
			}
		}
		select {
		case <-ctx.Done():
			if err != nil {
				return maxPending, fmt.Errorf("wait for %.0f stored events: %w (last scrape error: %w)", events, context.Cause(ctx), err)
			}
			return maxPending, fmt.Errorf("wait for %.0f stored events: %w", events, context.Cause(ctx))
		case <-time.After(interval):
		}
	}
}
