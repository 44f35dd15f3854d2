package fetch

import (
	"context"
	"sync"
)

// ordered runs fetch for 0..n-1 with at most conc calls in flight and
// hands the results to deliver one at a time, in index order, on the
// calling goroutine. At most 2·conc results wait for delivery, so a slow
// item holds back the fetching instead of letting memory grow. The first
// error deliver returns stops everything; ordered waits for its
// goroutines before it returns.
func ordered[R any](ctx context.Context, n, conc int, fetch func(ctx context.Context, i int) R, deliver func(i int, r R) error) error {
	if n <= 0 {
		return nil
	}
	conc = max(1, min(conc, n))
	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	defer func() {
		cancel()
		wg.Wait()
	}()

	type result struct {
		i int
		r R
	}
	results := make(chan result)
	window := make(chan struct{}, 2*conc) // launched but not yet delivered
	inflight := make(chan struct{}, conc) // launched but not yet fetched

	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := range n {
			select {
			case window <- struct{}{}:
			case <-ctx.Done():
				return
			}
			select {
			case inflight <- struct{}{}:
			case <-ctx.Done():
				return
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				r := fetch(ctx, i)
				<-inflight
				select {
				case results <- result{i, r}:
				case <-ctx.Done():
				}
			}()
		}
	}()

	waiting := make(map[int]R, 2*conc)
	for next := range n {
		r, ok := waiting[next]
		for !ok {
			select {
			case got := <-results:
				if got.i == next {
					r, ok = got.r, true
				} else {
					waiting[got.i] = got.r
				}
			case <-ctx.Done():
				return ctx.Err()
			}
		}
		delete(waiting, next)
		<-window
		if err := ctx.Err(); err != nil {
			return err
		}
		if err := deliver(next, r); err != nil {
			return err
		}
	}
	return nil
}
