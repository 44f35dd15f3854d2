package webhooks

import (
	"runtime"
	"sync"
)

// Lines are checked in batches, so that handing them between goroutines
// costs little beside decoding and walking them. A batch is full at
// either bound; a line longer than batchBytes makes a batch of its own.
const (
	batchLines = 256
	batchBytes = 256 << 10
)

// batch is a run of consecutive lines of one log and, once checked, what
// each came to.
type batch struct {
	buf  []byte    // the lines, back to back, without line ends
	ends []int     // where each line ends in buf
	out  []outcome // one per line, line numbers set by the reader
	done chan struct{}
}

// add appends line number no. A non-empty reason makes it an input error
// found while reading (too long, unreadable), which no worker looks at.
func (b *batch) add(no int, line []byte, reason string) {
	b.buf = append(b.buf, line...)
	b.ends = append(b.ends, len(b.buf))
	b.out = append(b.out, outcome{no: no, reason: reason})
}

func (b *batch) full() bool { return len(b.out) >= batchLines || len(b.buf) >= batchBytes }

// check fills in the outcome of every line the reader left open.
func (b *batch) check(lc *lineChecker) {
	start := 0
	for i := range b.out {
		end := b.ends[i]
		if b.out[i].reason == "" {
			lc.check(&b.out[i], b.buf[start:end])
		}
		start = end
	}
	lc.dec.Reset() // the Checker's own lineChecker outlives the batches
}

func (b *batch) reset() {
	clear(b.out) // the drifts go to the collector
	b.buf, b.ends, b.out = b.buf[:0], b.ends[:0], b.out[:0]
}

// pipeline checks the batches of one log on workers goroutines and
// tallies them on one more, in the order they were read: a finding's
// first line, the first input errors kept and which findings the cap
// admits come out exactly as checking line by line would have them.
// Memory is bounded: at most 2*workers+2 batches exist, read but not yet
// tallied, and they are reused.
type pipeline struct {
	c       *Checker
	fs      *FileStat
	work    chan *batch // to the workers; nil when checking on the caller's goroutine
	order   chan *batch // to the tallier, in read order
	free    chan *batch
	tallied chan struct{}
	workers sync.WaitGroup
}

// newPipeline starts the goroutines for one log: one worker per
// GOMAXPROCS (or Checker.workers) and the tallier. With a single worker
// none is started: the caller checks and tallies each batch itself.
func (c *Checker) newPipeline(fs *FileStat) *pipeline {
	n := c.workers
	if n <= 0 {
		n = runtime.GOMAXPROCS(0)
	}
	p := &pipeline{c: c, fs: fs}
	if n <= 1 {
		p.free = make(chan *batch, 1)
		return p
	}
	p.work = make(chan *batch, n)
	p.order = make(chan *batch, 2*n)
	p.free = make(chan *batch, 2*n+2)
	p.tallied = make(chan struct{})
	for range n {
		lc := c.newLineChecker()
		p.workers.Go(func() {
			for b := range p.work {
				b.check(lc)
				close(b.done)
			}
		})
	}
	go func() {
		defer close(p.tallied)
		for b := range p.order {
			<-b.done
			p.tally(b)
		}
	}()
	return p
}

// batch returns an empty batch, a used one when there is one.
func (p *pipeline) batch() *batch {
	select {
	case b := <-p.free:
		return b
	default:
		return &batch{}
	}
}

// send hands a batch on; the caller must not touch it after.
func (p *pipeline) send(b *batch) {
	if len(b.out) == 0 {
		p.recycle(b)
		return
	}
	if p.work == nil {
		b.check(p.c.lc)
		p.tally(b)
		return
	}
	b.done = make(chan struct{})
	p.order <- b // blocks while 2*workers batches wait to be tallied
	p.work <- b
}

func (p *pipeline) tally(b *batch) {
	for i := range b.out {
		p.c.apply(p.fs, &b.out[i])
	}
	p.recycle(b)
}

func (p *pipeline) recycle(b *batch) {
	b.reset()
	select {
	case p.free <- b:
	default:
	}
}

// close waits until every batch sent has been tallied.
func (p *pipeline) close() {
	if p.work == nil {
		return
	}
	close(p.work)
	close(p.order)
	p.workers.Wait()
	<-p.tallied
}
