package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
)

// RowCounter counts how often each key was seen: the first
// rowCounterMemKeys distinct keys in a map, every later one in a private
// temporary database, a file of its own that SQLite deletes when the
// counter is closed, never the reconciliation database. A ledger export
// of up to about two million distinct rows is then counted at a map's
// cost, and a longer one costs disk beyond that rather than memory,
// which stops at the map's cap plus the file's 16 MiB page cache. The
// ledger reader uses one per file to number repeated rows (it implements
// ingest.RowCounter). Not safe for concurrent use.
type RowCounter struct {
	ctx     context.Context // opens the file
	mem     map[uint64]uint32
	memKeys int          // how many distinct keys mem may hold
	file    *fileCounter // opened by the first key that finds mem full
	// Per call, reused: the keys of the call that go to the file, where
	// they are in the call, and their counts.
	fileKeys []uint64
	fileAt   []int
	fileSeen []uint32
}

// rowCounterMemKeys caps the map: Go's map of uint64 to uint32 takes 24
// to 36 bytes a key (36 right after it grows), so at most about 72 MiB,
// beside the 256 MiB page cache of the Load the ledger goes into.
const rowCounterMemKeys = 1 << 21

// NewRowCounter opens an empty counter. Close removes its file, if it
// made one.
func NewRowCounter(ctx context.Context) (*RowCounter, error) {
	return newRowCounter(ctx, rowCounterMemKeys), nil
}

func newRowCounter(ctx context.Context, memKeys int) *RowCounter {
	return &RowCounter{ctx: ctx, mem: make(map[uint64]uint32), memKeys: memKeys}
}

// Count sets seen[i] to how many times keys[i] was counted before, by
// earlier calls or earlier in keys, and counts keys[i] once more. A key
// stays where it was first counted: once mem is full it takes no new
// key, so a key in the file is never in mem.
func (c *RowCounter) Count(keys []uint64, seen []uint32) error {
	if len(seen) != len(keys) {
		return fmt.Errorf("count %d keys into %d counts", len(keys), len(seen))
	}
	c.fileKeys, c.fileAt = c.fileKeys[:0], c.fileAt[:0]
	for i, k := range keys {
		n, ok := c.mem[k]
		if ok || len(c.mem) < c.memKeys {
			seen[i] = n
			c.mem[k] = n + 1
			continue
		}
		c.fileKeys = append(c.fileKeys, k)
		c.fileAt = append(c.fileAt, i)
	}
	if len(c.fileKeys) == 0 {
		return nil
	}
	if c.file == nil {
		f, err := newFileCounter(c.ctx)
		if err != nil {
			return err
		}
		c.file = f
	}
	c.fileSeen = slices.Grow(c.fileSeen[:0], len(c.fileKeys))[:len(c.fileKeys)]
	if err := c.file.Count(c.fileKeys, c.fileSeen); err != nil {
		return err
	}
	for j, i := range c.fileAt {
		seen[i] = c.fileSeen[j]
	}
	return nil
}

// Close discards the counts and removes the counter's file.
func (c *RowCounter) Close() error {
	if c.file == nil {
		return nil
	}
	return c.file.Close()
}

// fileCounter keeps a RowCounter's counts in a private temporary
// database, whose memory is capped by a 16 MiB page cache.
type fileCounter struct {
	db    *sql.DB
	conn  *sql.Conn
	tx    *sql.Tx
	stmts [counterChunk + 1]*sql.Stmt // the insert for 1..counterChunk keys
	gen   int64                       // numbers the calls to Count
	// Per call, reused: each distinct key of the call and how often it
	// came in the call, and the position of each key in distinct.
	distinct []uint64
	times    []uint32
	pos      map[uint64]int
}

// counterChunk is how many keys one statement carries.
const counterChunk = 64

// The table is a rowid table keyed by the key itself, the cheapest index
// SQLite has. gen is the call that last counted the key: a key whose gen
// is older than the current call was counted before it.
const counterSchema = `CREATE TABLE seen (k INTEGER PRIMARY KEY, n INTEGER NOT NULL, gen INTEGER NOT NULL)`

var (
	counterInsert = insertSQL{head: `INSERT INTO seen (k, n, gen) VALUES `, row: `(?, ?, @)`, tail: ` ON CONFLICT (k) DO NOTHING`}
	counterLookup = insertSQL{head: `SELECT k, n FROM seen WHERE gen < ?1 AND k IN (`, row: `?`, tail: `)`}
)

const counterUpdate = `UPDATE seen SET n = n + ?, gen = ? WHERE k = ?`

// newFileCounter opens an empty counter. Close removes its file.
func newFileCounter(ctx context.Context) (*fileCounter, error) {
	// An empty file name opens a private temporary database on disk. Each
	// connection would open another one, so the counter keeps one.
	db, err := sql.Open("sqlite3", "")
	if err != nil {
		return nil, fmt.Errorf("open row counter: %w", err)
	}
	db.SetMaxOpenConns(1)
	c := &fileCounter{db: db, pos: make(map[uint64]int)}
	if err := c.sqliteSetUp(ctx); err != nil {
		c.Close()
		return nil, fmt.Errorf("open row counter: %w", err)
	}
	return c, nil
}

// sqliteSetUp sets the database up. Nothing in it needs to survive a crash, so
// it has no journal and never syncs; it is one transaction that is never
// committed, so pages reach the file only when the cache is full.
func (c *fileCounter) sqliteSetUp(ctx context.Context) error {
	conn, err := c.db.Conn(ctx)
	if err != nil {
		return err
	}
	c.conn = conn
	for _, q := range []string{`PRAGMA journal_mode = OFF`, `PRAGMA synchronous = OFF`, `PRAGMA cache_size = -16384`, counterSchema} {
		if _, err := conn.ExecContext(ctx, q); err != nil {
			return err
		}
	}
	c.tx, err = conn.BeginTx(ctx, nil)
	return err
}

// Count is RowCounter.Count for the keys the map does not hold.
func (c *fileCounter) Count(keys []uint64, seen []uint32) error {
	if len(seen) != len(keys) {
		return fmt.Errorf("count %d keys into %d counts", len(keys), len(seen))
	}
	c.gen++
	clear(c.pos)
	c.distinct, c.times = c.distinct[:0], c.times[:0]
	for i, k := range keys {
		j, ok := c.pos[k]
		if !ok {
			j = len(c.distinct)
			c.pos[k] = j
			c.distinct = append(c.distinct, k)
			c.times = append(c.times, 0)
		}
		seen[i] = c.times[j]
		c.times[j]++
	}
	// before[j] is how often distinct[j] was counted by earlier calls:
	// almost always never, which the insert alone shows.
	before := make(map[uint64]uint32)
	for from := 0; from < len(c.distinct); from += counterChunk {
		to := min(from+counterChunk, len(c.distinct))
		added, err := c.insert(from, to)
		if err != nil {
			return err
		}
		if added < int64(to-from) {
			if err := c.addOld(from, to, before); err != nil {
				return err
			}
		}
	}
	if len(before) > 0 {
		for i, k := range keys {
			seen[i] += before[k]
		}
	}
	return nil
}

// insert adds the keys distinct[from:to] that were never counted, with
// their counts, and returns how many it added.
func (c *fileCounter) insert(from, to int) (int64, error) {
	rows := to - from
	s := c.stmts[rows]
	if s == nil {
		var err error
		if s, err = c.tx.Prepare(sqliteStmtText(counterInsert, rows)); err != nil {
			return 0, fmt.Errorf("count rows: %w", err)
		}
		c.stmts[rows] = s
	}
	args := make([]any, 0, 1+2*rows)
	args = append(args, c.gen)
	for j := from; j < to; j++ {
		args = append(args, int64(c.distinct[j]), int64(c.times[j]))
	}
	added, err := exec(s, args...)
	if err != nil {
		return 0, fmt.Errorf("count rows: %w", err)
	}
	return added, nil
}

// addOld finds which keys of distinct[from:to] were counted by earlier
// calls, records their earlier counts in before and adds this call's.
func (c *fileCounter) addOld(from, to int, before map[uint64]uint32) error {
	args := []any{c.gen}
	for j := from; j < to; j++ {
		args = append(args, int64(c.distinct[j]))
	}
	rows := to - from
	res, err := c.tx.Query(sqliteStmtText(counterLookup, rows), args...)
	if err != nil {
		return fmt.Errorf("count rows: %w", err)
	}
	defer res.Close()
	var old []uint64
	for res.Next() {
		var k, n int64
		if err := res.Scan(&k, &n); err != nil {
			return fmt.Errorf("count rows: %w", err)
		}
		before[uint64(k)] = uint32(n)
		old = append(old, uint64(k))
	}
	if err := res.Err(); err != nil {
		return fmt.Errorf("count rows: %w", err)
	}
	res.Close()
	for _, k := range old {
		if _, err := c.tx.Exec(counterUpdate, int64(c.times[c.pos[k]]), c.gen, int64(k)); err != nil {
			return fmt.Errorf("count rows: %w", err)
		}
	}
	return nil
}

// Close discards the counts and removes the file.
func (c *fileCounter) Close() error {
	if c.tx != nil {
		c.tx.Rollback()
	}
	if c.conn != nil {
		c.conn.Close()
	}
	if err := c.db.Close(); err != nil {
		return fmt.Errorf("close row counter: %w", err)
	}
	return nil
}

// exec runs a prepared statement and returns how many rows it changed.
// It passes context.Background on purpose: go-sqlite3 starts a goroutine
// per call for a cancellable context, which would cost more than the
// statement.
func exec(s *sql.Stmt, args ...any) (int64, error) {
	res, err := s.ExecContext(context.Background(), args...)
	if err != nil {
		return 0, err
	}
	return res.RowsAffected()
}
