package main

import (
	"bytes"
	"io"
	"strings"

	"github.com/mattn/go-runewidth"
)

// table lays out tab-separated cells in columns by their width on a
// terminal, where a Chinese character takes two columns (text/tabwriter
// counts it as one, and shifts every cell after a Chinese model name).
// Write takes lines of cells, each cell ended by a tab but the last; Flush
// writes them aligned, two spaces apart.
type table struct {
	w   io.Writer
	buf bytes.Buffer
}

func newTable(w io.Writer) *table { return &table{w: w} }

func (t *table) Write(p []byte) (int, error) { return t.buf.Write(p) }

// Flush writes the lines received so far.
func (t *table) Flush() error {
	if t.buf.Len() == 0 {
		return nil
	}
	lines := strings.Split(strings.TrimSuffix(t.buf.String(), "\n"), "\n")
	t.buf.Reset()
	rows := make([][]string, len(lines))
	var widths []int
	for i, line := range lines {
		rows[i] = strings.Split(line, "\t")
		for j, cell := range rows[i][:len(rows[i])-1] { // the last cell is not padded
			if j == len(widths) {
				widths = append(widths, 0)
			}
			widths[j] = max(widths[j], runewidth.StringWidth(cell))
		}
	}
	var out strings.Builder
	for _, cells := range rows {
		for j, cell := range cells {
			out.WriteString(cell)
			if j < len(cells)-1 {
				out.WriteString(strings.Repeat(" ", widths[j]-runewidth.StringWidth(cell)+2))
			}
		}
		out.WriteByte('\n')
	}
	_, err := io.WriteString(t.w, out.String())
	return err
}
