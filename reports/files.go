package reports

import (
	"bufio"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
)

// Report files are never written in place. A writer claims its
// temporary files in a directory as an Owner: it creates an owner file
// there and holds an exclusive flock on it for as long as it lives (the
// kernel drops the lock when the process dies, however it dies). Every
// temporary file it makes carries its token:
//
//	.reconkit-owner-TOKEN          the owner file: its lock says the writer is alive
//	.NAME.tmp-TOKEN-N              a file being written, renamed over NAME when done
//	.reconkit-sheet-TOKEN-N.deflate a workbook's sheet buffer
//	.NAME.prev-TOKEN               NAME as it was before an undoable install
//	.NAME.new-TOKEN                NAME did not exist before an undoable install
//
// RemoveStaleTemps removes only what belongs to a writer whose owner lock
// it can take, that is, a dead one: two runs that share a directory
// (two databases, one report_dir) never remove each other's live files.

const (
	ownerPrefix = ".reconkit-owner-"
	sheetPrefix = ".reconkit-sheet-"
	sheetSuffix = ".deflate"
	tmpMark     = ".tmp-"
	prevMark    = ".prev-"
	newMark     = ".new-"
)

// Owner is a live writer's claim on its temporary files in one
// directory. It is not safe for concurrent use.
type Owner struct {
	dir, token string
	f          *os.File
	// undo counts the FileSets whose previous files are still kept
	// beside the new ones: the owner file stays while there are any, so
	// that whoever cleans up after a crash can tell what they were.
	undo int
}

// OwnerNote is what an owner file says about its writer, for whoever
// cleans up after it died.
type OwnerNote struct {
	Token string
	PID   int
	// RunID is the run the writer recorded (0: none) in Database, the
	// real path of its database ("" when none).
	RunID    int64
	Database string
}

// Claim makes the calling process the owner of the temporary files it
// is about to write in dir, which must exist: it creates an owner file
// there and locks it. runID and database, when known, are noted in it for
// RemoveStaleTemps. Release ends the claim.
func Claim(dir string, runID int64, database string) (*Owner, error) {
	for range 10 {
		var b [4]byte
		if _, err := rand.Read(b[:]); err != nil {
			return nil, fmt.Errorf("claim %s: %w", dir, err)
		}
		token := fmt.Sprintf("%d_%d_%s", os.Getpid(), runID, hex.EncodeToString(b[:]))
		path := filepath.Join(dir, ownerPrefix+token)
		f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_EXCL, 0o644)
		if errors.Is(err, fs.ErrExist) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("claim %s for temporary files: %w", dir, err)
		}
		if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
			f.Close()
			os.Remove(path)
			return nil, fmt.Errorf("lock %s: %w", path, err)
		}
		note := fmt.Sprintf("pid=%d\nrun=%d\ndatabase=%s\n", os.Getpid(), runID, database)
		if _, err := f.WriteString(note); err != nil {
			f.Close()
			os.Remove(path)
			return nil, fmt.Errorf("write %s: %w", path, err)
		}
		return &Owner{dir: dir, token: token, f: f}, nil
	}
	return nil, fmt.Errorf("claim %s: no free owner token", dir)
}

// Token is the owner's mark on its files' names.
func (o *Owner) Token() string { return o.token }

// Dir is the directory the owner claimed.
func (o *Owner) Dir() string { return o.dir }

// Release ends the claim. The owner file goes too, unless an undoable
// install was neither finished nor undone (see FileSet): then it stays,
// unlocked, so that the next clean-up of the directory judges it.
func (o *Owner) Release() {
	if o.f == nil {
		return
	}
	if o.undo == 0 {
		os.Remove(o.f.Name())
	}
	o.f.Close() // drops the lock
	o.f = nil
}

// FileSet is a set of report files written to temporary names first and
// put in place together by Install. An undoable set keeps each file's
// previous version (or notes that there was none) until Done, so that
// Restore, or the clean-up after a crash (RemoveStaleTemps), can put the
// previous files back when what the new ones stand for is not committed.
type FileSet struct {
	o        *Owner
	undoable bool
	files    []stagedFile
	// state: 0 staging, 1 installed (undo kept), 2 finished.
	state int
}

type stagedFile struct {
	path, tmp string
	// synced says when tmp, written, is synced and closed: that goes on
	// in the background, while the run does other work, and Install
	// waits for it before any rename.
	synced *pendingSync
	// backup is the previous file kept beside path, or marker the note
	// that there was none; renamed says tmp is now path.
	backup, marker string
	renamed        bool
}

// NewFileSet starts a set of files in the owner's directory; undoable
// says whether Install keeps the previous files until Done.
func (o *Owner) NewFileSet(undoable bool) *FileSet {
	return &FileSet{o: o, undoable: undoable}
}

// Paths are the files of the set, in the order added.
func (s *FileSet) Paths() []string {
	out := make([]string, len(s.files))
	for i, f := range s.files {
		out[i] = f.path
	}
	return out
}

// Add writes a file of the set to a temporary file beside path (which
// must be in the owner's directory), flushed, and synced in the
// background; Install waits for the sync and puts it in place. On an
// error nothing is left behind.
func (s *FileSet) Add(path string, write func(io.Writer) error) error {
	return s.AddAll(FileWrite{Path: path, Write: write})
}

// FileWrite is one file for AddAll: its path and what writes it.
type FileWrite struct {
	Path  string
	Write func(io.Writer) error
}

// AddAll is Add for several files, written concurrently (a month of
// open exceptions takes as long to write as CSV as it does as JSON, and
// there are cores to spare) and added in the order given. On an error
// none of them is added and nothing is left behind; the error is the
// first file's, in that order.
func (s *FileSet) AddAll(ws ...FileWrite) error {
	if len(ws) == 0 {
		return nil
	}
	if s.state != 0 {
		return fmt.Errorf("write %s: the file set is already installed", ws[0].Path)
	}
	staged := make([]stagedFile, len(ws))
	errs := make([]error, len(ws))
	var wg sync.WaitGroup
	for i, w := range ws {
		wg.Go(func() { staged[i], errs[i] = s.stage(w.Path, w.Write) })
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			for j := range staged {
				if errs[j] == nil {
					staged[j].synced.wait() //nolint:errcheck // the file goes anyway
					os.Remove(staged[j].tmp)
				}
			}
			return errs[i]
		}
	}
	s.files = append(s.files, staged...)
	return nil
}

// stage writes one file of the set to its temporary file. It only reads
// the set, so that AddAll may stage files concurrently.
func (s *FileSet) stage(path string, write func(io.Writer) error) (_ stagedFile, err error) {
	dir, base := filepath.Split(path)
	if filepath.Clean(dir) != filepath.Clean(s.o.dir) {
		return stagedFile{}, fmt.Errorf("write %s: not in %s", path, s.o.dir)
	}
	f, err := os.CreateTemp(s.o.dir, "."+base+tmpMark+s.o.token+"-*")
	if err != nil {
		return stagedFile{}, fmt.Errorf("write %s: %w", path, err)
	}
	tmp := f.Name()
	defer func() {
		if err != nil {
			f.Close()
			os.Remove(tmp)
		}
	}()
	bw := bufio.NewWriterSize(f, 64<<10)
	if err := write(bw); err != nil {
		return stagedFile{}, fmt.Errorf("write %s: %w", path, err)
	}
	if err := bw.Flush(); err != nil {
		return stagedFile{}, fmt.Errorf("write %s: %w", path, err)
	}
	if err := f.Chmod(0o644); err != nil {
		return stagedFile{}, fmt.Errorf("write %s: %w", path, err)
	}
	return stagedFile{path: path, tmp: tmp, synced: syncInBackground(f, path)}, nil
}

// syncFile syncs a written file; a test makes it fail.
var syncFile = (*os.File).Sync

// pendingSync is a sync and close going on in the background.
type pendingSync struct {
	done chan struct{}
	err  error
}

// syncInBackground syncs and closes f (written for path) in the
// background. A month of open exceptions is over 100 MB of exports,
// whose sync, right after the night's load, waits on the database's own
// writes; the run has other work meanwhile, and the files count only
// once Install renames them.
func syncInBackground(f *os.File, path string) *pendingSync {
	p := &pendingSync{done: make(chan struct{})}
	go func() {
		defer close(p.done)
		if err := syncFile(f); err != nil {
			f.Close()
			p.err = fmt.Errorf("sync %s: %w", path, err)
			return
		}
		if err := f.Close(); err != nil {
			p.err = fmt.Errorf("close %s: %w", path, err)
		}
	}()
	return p
}

// wait waits for the sync and close, and returns their error.
func (p *pendingSync) wait() error {
	if p == nil {
		return nil
	}
	<-p.done
	return p.err
}

// Install renames every file of the set over its path, in the order
// added (so the last one added is the last to appear). An undoable set
// first keeps each previous file beside it. If a rename fails, an
// undoable set puts back what it had replaced; either way the error is
// returned.
func (s *FileSet) Install() error {
	if s.state != 0 {
		return errors.New("install report files: already installed")
	}
	// Nothing is renamed before every file is on disk.
	for i := range s.files {
		if err := s.files[i].synced.wait(); err != nil {
			return fmt.Errorf("install report files: %w", err)
		}
	}
	if s.undoable {
		s.state = 1
		s.o.undo++
		for i := range s.files {
			if err := s.keepPrevious(&s.files[i]); err != nil {
				return errors.Join(err, s.Restore())
			}
		}
		syncDir(s.o.dir)
	}
	for i := range s.files {
		f := &s.files[i]
		if err := os.Rename(f.tmp, f.path); err != nil {
			err = fmt.Errorf("rename %s: %w", f.path, err)
			if s.undoable {
				return errors.Join(err, s.Restore())
			}
			return err
		}
		f.renamed = true
	}
	syncDir(s.o.dir)
	if !s.undoable {
		s.state = 2
	}
	return nil
}

// keepPrevious keeps f's current file (a hard link, or a copy where the
// file system has none) or notes that there is none.
func (s *FileSet) keepPrevious(f *stagedFile) error {
	dir, base := filepath.Split(f.path)
	if _, err := os.Lstat(f.path); errors.Is(err, fs.ErrNotExist) {
		f.marker = filepath.Join(dir, "."+base+newMark+s.o.token)
		m, err := os.Create(f.marker)
		if err != nil {
			f.marker = ""
			return fmt.Errorf("note that %s is new: %w", f.path, err)
		}
		return m.Close()
	} else if err != nil {
		return fmt.Errorf("keep the previous %s: %w", f.path, err)
	}
	backup := filepath.Join(dir, "."+base+prevMark+s.o.token)
	if err := os.Link(f.path, backup); err != nil {
		if err := copyFile(f.path, backup); err != nil {
			os.Remove(backup)
			return fmt.Errorf("keep the previous %s: %w", f.path, err)
		}
	}
	f.backup = backup
	return nil
}

// Restore undoes Install: every path is as it was before (the previous
// file back, or no file where there was none) and the new files are
// gone. It does nothing for a set that is not installed, or finished.
func (s *FileSet) Restore() error {
	if s.state != 1 {
		s.discard()
		return nil
	}
	var errs []error
	for i := range s.files {
		f := &s.files[i]
		switch {
		case f.backup != "":
			if err := putBack(f.backup, f.path); err != nil {
				errs = append(errs, err)
				continue
			}
			f.backup = ""
		case f.marker != "":
			if f.renamed {
				if err := os.Remove(f.path); err != nil && !errors.Is(err, fs.ErrNotExist) {
					errs = append(errs, fmt.Errorf("remove the new %s: %w", f.path, err))
					continue
				}
			}
			os.Remove(f.marker)
			f.marker = ""
		}
	}
	syncDir(s.o.dir)
	s.discard()
	if len(errs) > 0 {
		// The owner file stays, so that the next clean-up tries again.
		return errors.Join(errs...)
	}
	s.state = 2
	s.o.undo--
	return nil
}

// Done drops the previous files an undoable Install kept: the new ones
// stand. It also removes what was staged and never installed.
func (s *FileSet) Done() {
	if s.state == 1 {
		for _, f := range s.files {
			for _, p := range []string{f.backup, f.marker} {
				if p != "" {
					os.Remove(p)
				}
			}
		}
		s.state = 2
		s.o.undo--
	}
	s.discard()
}

// discard removes the temporary files not installed.
func (s *FileSet) discard() {
	for _, f := range s.files {
		f.synced.wait() //nolint:errcheck // no sync outlives the set
		if !f.renamed {
			os.Remove(f.tmp)
		}
	}
}

// Discard abandons a set that was never installed: its temporary files
// are removed, and the paths keep what they hold.
func (s *FileSet) Discard() {
	if s.state == 0 {
		s.discard()
		s.state = 2
	}
}

// WriteFileAtomic writes a file so that readers see either the old
// content or the whole new one, never a part: write calls go to a
// temporary file in the same directory, owned by this process (see
// Claim), which is flushed, synced and renamed over path; the directory
// is then synced so the rename itself survives a crash. On any error the
// temporary file is removed and path is untouched. The file is created
// with mode 0644.
func WriteFileAtomic(path string, write func(io.Writer) error) error {
	dir := filepath.Dir(path)
	o, err := Claim(dir, 0, "")
	if err != nil {
		return fmt.Errorf("write %s: %w", path, err)
	}
	defer o.Release()
	s := o.NewFileSet(false)
	defer s.Discard()
	if err := s.Add(path, write); err != nil {
		return err
	}
	return s.Install()
}

// Fate is what became of the run of a dead writer that left previous
// files beside new ones (an undoable install that never finished).
type Fate int

const (
	// FateUnknown: not for this caller to judge (another database's
	// run); the files are left as they are.
	FateUnknown Fate = iota
	// FateCommitted: the run committed, so the new files stand and the
	// previous ones go.
	FateCommitted
	// FateAbandoned: the run never committed, so the previous files are
	// put back.
	FateAbandoned
)

// Swept is what RemoveStaleTemps did: temporary files removed, and
// paths put back as they were before an install whose run never
// committed.
type Swept struct {
	Removed  int
	Restored int
}

// RemoveStaleTemps cleans up after writers that died in dir: it removes
// their temporary files and sheet buffers, and, for an undoable install
// that never finished, asks fate (nil: FateUnknown) what became of the
// writer's run and puts the previous files back or drops them. A live
// writer's files (its owner file is locked) are never touched, nor are
// any files but these. Files named without an owner token (left by
// versions before owners) count as dead. A missing dir is nothing to do.
func RemoveStaleTemps(dir string, fate func(OwnerNote) Fate) (Swept, error) {
	var sw Swept
	entries, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return sw, nil
	}
	if err != nil {
		return sw, fmt.Errorf("find stale temporary files in %s: %w", dir, err)
	}
	type leftovers struct{ temps, installs []string }
	byToken := map[string]*leftovers{}
	for _, e := range entries {
		kind, token := classify(e.Name())
		if kind == kindOther {
			continue
		}
		l := byToken[token]
		if l == nil {
			l = &leftovers{}
			byToken[token] = l
		}
		switch kind {
		case kindTemp:
			l.temps = append(l.temps, e.Name())
		case kindInstall:
			l.installs = append(l.installs, e.Name())
		}
	}
	var errs []error
	remove := func(name string) {
		if err := os.Remove(filepath.Join(dir, name)); err != nil && !errors.Is(err, fs.ErrNotExist) {
			errs = append(errs, fmt.Errorf("remove stale temporary file: %w", err))
			return
		}
		sw.Removed++
	}
	tokens := make([]string, 0, len(byToken))
	for t := range byToken {
		tokens = append(tokens, t)
	}
	slices.Sort(tokens)
	for _, token := range tokens {
		l := byToken[token]
		if token == "" {
			for _, n := range l.temps {
				remove(n)
			}
			continue
		}
		// The owner file is looked up by name, not in the listing: a
		// writer creates it before any of its files, so a file listed
		// here whose owner file is missing now has an owner that ended.
		f, note, state := openOwner(dir, token)
		if state == ownerLive {
			continue
		}
		for _, n := range l.temps {
			remove(n)
		}
		if len(l.installs) > 0 {
			judged := FateUnknown
			if state == ownerDead && fate != nil {
				judged = fate(note)
			}
			switch judged {
			case FateCommitted:
				for _, n := range l.installs {
					if err := os.Remove(filepath.Join(dir, n)); err != nil && !errors.Is(err, fs.ErrNotExist) {
						errs = append(errs, err)
					}
				}
				l.installs = nil
			case FateAbandoned:
				n, err := restore(dir, l.installs)
				sw.Restored += n
				if err != nil {
					errs = append(errs, err)
				} else {
					l.installs = nil
				}
			}
		}
		if f != nil {
			if len(l.installs) == 0 {
				os.Remove(f.Name())
			}
			f.Close()
		}
	}
	syncDir(dir)
	return sw, errors.Join(errs...)
}

// restore puts back the previous files an install kept (.NAME.prev-T)
// and removes the new ones where there was none (.NAME.new-T).
func restore(dir string, installs []string) (int, error) {
	var errs []error
	n := 0
	for _, name := range installs {
		p := filepath.Join(dir, name)
		if i := strings.LastIndex(name, prevMark); i > 0 {
			if err := putBack(p, filepath.Join(dir, name[1:i])); err != nil {
				errs = append(errs, err)
				continue
			}
		} else if i := strings.LastIndex(name, newMark); i > 0 {
			if err := os.Remove(filepath.Join(dir, name[1:i])); err != nil && !errors.Is(err, fs.ErrNotExist) {
				errs = append(errs, fmt.Errorf("remove %s: %w", name[1:i], err))
				continue
			}
			os.Remove(p)
		}
		n++
	}
	return n, errors.Join(errs...)
}

// putBack moves a kept previous file back to path. Where path is still
// that file (a hard link to it: the install stopped before replacing
// it), rename would do nothing and leave the backup, so it is removed.
func putBack(backup, path string) error {
	if b, err := os.Stat(backup); err == nil {
		if p, err := os.Stat(path); err == nil && os.SameFile(b, p) {
			if err := os.Remove(backup); err != nil {
				return fmt.Errorf("remove the kept copy of %s: %w", path, err)
			}
			return nil
		}
	}
	if err := os.Rename(backup, path); err != nil {
		return fmt.Errorf("put back the previous %s: %w", path, err)
	}
	return nil
}

type ownerState int

const (
	ownerGone ownerState = iota // no owner file: the writer ended
	ownerLive                   // its lock is held
	ownerDead                   // its lock was free: now held by the caller
)

// openOwner looks at a token's owner file. For a dead owner it returns
// the file, locked by the caller until it is closed, and its note.
func openOwner(dir, token string) (*os.File, OwnerNote, ownerState) {
	note := OwnerNote{Token: token}
	f, err := os.OpenFile(filepath.Join(dir, ownerPrefix+token), os.O_RDWR, 0)
	if err != nil {
		// Missing, or not ours to open: no lock says anyone holds it.
		return nil, note, ownerGone
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		return nil, note, ownerLive
	}
	b, _ := io.ReadAll(io.LimitReader(f, 64<<10))
	for line := range strings.Lines(string(b)) {
		k, v, _ := strings.Cut(strings.TrimRight(line, "\n"), "=")
		switch k {
		case "pid":
			note.PID, _ = strconv.Atoi(v)
		case "run":
			note.RunID, _ = strconv.ParseInt(v, 10, 64)
		case "database":
			note.Database = v
		}
	}
	return f, note, ownerDead
}

type fileKind int

const (
	kindOther   fileKind = iota
	kindOwner            // .reconkit-owner-T
	kindTemp             // .NAME.tmp-T-N, .reconkit-sheet-T-N.deflate
	kindInstall          // .NAME.prev-T, .NAME.new-T
)

// classify tells a file of a report directory by its name, and the
// owner token in it ("" for a temporary file from before owners).
func classify(name string) (fileKind, string) {
	if !strings.HasPrefix(name, ".") {
		return kindOther, ""
	}
	switch {
	case strings.HasPrefix(name, ownerPrefix):
		if t := name[len(ownerPrefix):]; validToken(t) {
			return kindOwner, t
		}
		return kindOther, ""
	case strings.HasPrefix(name, sheetPrefix) && strings.HasSuffix(name, sheetSuffix):
		return kindTemp, tokenBeforeDash(name[len(sheetPrefix) : len(name)-len(sheetSuffix)])
	}
	if i := strings.LastIndex(name, tmpMark); i > 0 {
		return kindTemp, tokenBeforeDash(name[i+len(tmpMark):])
	}
	for _, mark := range []string{prevMark, newMark} {
		if i := strings.LastIndex(name, mark); i > 1 {
			if t := name[i+len(mark):]; validToken(t) {
				return kindInstall, t
			}
		}
	}
	return kindOther, ""
}

// tokenBeforeDash reads "T-N" as token T; a bare "N" (no token) is "".
func tokenBeforeDash(s string) string {
	i := strings.LastIndex(s, "-")
	if i <= 0 || !validToken(s[:i]) {
		return ""
	}
	return s[:i]
}

// validToken: what Claim makes, digits, lowercase hex and underscores.
func validToken(t string) bool {
	if t == "" {
		return false
	}
	for _, c := range t {
		if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c == '_') {
			return false
		}
	}
	return true
}

// copyFile copies src to a new file dst, synced.
func copyFile(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	if err := out.Sync(); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

// syncDir makes renames in dir survive a crash. A directory that cannot
// be synced (some file systems refuse) still holds the renamed files;
// only durability across a crash is lost.
func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
}
