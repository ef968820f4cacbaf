package state

import (
	"bufio"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/paymix/paymix/planner/market"
	"github.com/paymix/paymix/store"
)

// Parts are kept on disk (Config.PartsDir), one file per dataset, so that a restart
// reads them back instead of normalising and indexing every row again. A file is used
// only when it was written by the same build of paymixd from the same dataset content
// with the same maps; anything else (a new release, a map upload, a torn write) is
// rebuilt from the store and written again. Files are written to a temporary name and
// renamed, so a reader never sees half of one.

const cacheMagic = "PMXCACHE"

// cacheHeader says what a cached part was built from.
type cacheHeader struct {
	Dataset  string
	Checksum string
	Maps     string
	Code     string
	Unmapped [][3]any // company, level, rows
}

var codeOnce = sync.OnceValue(func() string {
	exe, err := os.Executable()
	if err != nil {
		return ""
	}
	f, err := os.Open(exe)
	if err != nil {
		return ""
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return ""
	}
	return hex.EncodeToString(h.Sum(nil)[:16])
})

// codeFingerprint identifies the running build: normalisation and indexing are code.
func codeFingerprint() string { return codeOnce() }

func (s *Service) cachePath(id string) string {
	return filepath.Join(s.cfg.PartsDir, id+".part")
}

// readCachedPart returns the dataset's part from disk when it is current.
func (s *Service) readCachedPart(d store.Dataset, fingerprint string) (*builtPart, bool) {
	code := codeFingerprint()
	if s.cfg.PartsDir == "" || code == "" {
		return nil, false
	}
	f, err := os.Open(s.cachePath(d.ID))
	if err != nil {
		return nil, false
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, false
	}
	r := bufio.NewReader(f)
	var pre [len(cacheMagic) + 4]byte
	if _, err := io.ReadFull(r, pre[:]); err != nil || string(pre[:len(cacheMagic)]) != cacheMagic {
		return nil, false
	}
	n := int64(binary.LittleEndian.Uint32(pre[len(cacheMagic):]))
	if n > fi.Size()-int64(len(pre)) {
		return nil, false
	}
	var h cacheHeader
	if err := json.NewDecoder(io.LimitReader(r, n)).Decode(&h); err != nil {
		return nil, false
	}
	if h.Dataset != d.ID || h.Checksum != d.Checksum || h.Maps != fingerprint || h.Code != code {
		s.log.Info("a stored market part is stale; rebuilding it", "dataset", d.ID)
		return nil, false
	}
	// The JSON decoder may have read ahead: skip to the part by offset.
	if _, err := f.Seek(int64(len(pre))+n, io.SeekStart); err != nil {
		return nil, false
	}
	part, err := market.DecodePart(f, fi.Size()-int64(len(pre))-n)
	if err != nil {
		s.log.Warn("a stored market part cannot be read; rebuilding it", "dataset", d.ID, "err", err)
		return nil, false
	}
	bp := &builtPart{part: part, maps: fingerprint, unmapped: map[[2]string]int{}}
	for _, u := range h.Unmapped {
		company, _ := u[0].(string)
		level, _ := u[1].(string)
		rows, _ := u[2].(float64)
		bp.unmapped[[2]string{company, level}] = int(rows)
	}
	return bp, true
}

// persistPart writes a part to disk in the background; Close waits for it.
func (s *Service) persistPart(d store.Dataset, bp *builtPart) {
	code := codeFingerprint()
	if s.cfg.PartsDir == "" || code == "" {
		return
	}
	s.writers.Add(1)
	go func() {
		defer s.writers.Done()
		if err := s.writePart(d, bp, code); err != nil {
			s.log.Warn("a market part could not be stored; the next start rebuilds it", "dataset", d.ID, "err", err)
		}
	}()
}

func (s *Service) writePart(d store.Dataset, bp *builtPart, code string) error {
	if err := os.MkdirAll(s.cfg.PartsDir, 0o700); err != nil {
		return err
	}
	h := cacheHeader{Dataset: d.ID, Checksum: d.Checksum, Maps: bp.maps, Code: code}
	for k, n := range bp.unmapped {
		h.Unmapped = append(h.Unmapped, [3]any{k[0], k[1], n})
	}
	header, err := json.Marshal(h)
	if err != nil {
		return err
	}
	tmp, err := os.CreateTemp(s.cfg.PartsDir, d.ID+".*.tmp")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name()) // a no-op once renamed
	w := bufio.NewWriterSize(tmp, 1<<20)
	w.WriteString(cacheMagic)
	w.Write(binary.LittleEndian.AppendUint32(nil, uint32(len(header))))
	w.Write(header)
	err = bp.part.Encode(w)
	if err == nil {
		err = w.Flush()
	}
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	// A dataset deleted while its part was being written must not come back.
	s.cacheMu.Lock()
	defer s.cacheMu.Unlock()
	if s.pruned[d.ID] {
		return nil
	}
	return os.Rename(tmp.Name(), s.cachePath(d.ID))
}

// prunePartCache removes the stored parts of datasets that no longer exist (inactive
// ones stay: activating them again reads their part back).
func (s *Service) prunePartCache(all []store.Dataset) {
	if s.cfg.PartsDir == "" {
		return
	}
	exists := map[string]bool{}
	for _, d := range all {
		exists[d.ID] = true
	}
	s.cacheMu.Lock()
	defer s.cacheMu.Unlock()
	for id := range s.parts { // the parts before this rebuild: one may be being written
		if !exists[id] {
			s.pruned[id] = true
		}
	}
	entries, err := os.ReadDir(s.cfg.PartsDir)
	if err != nil {
		return
	}
	for _, e := range entries {
		id, ok := strings.CutSuffix(e.Name(), ".part")
		if !ok || exists[id] {
			continue
		}
		s.pruned[id] = true
		if err := os.Remove(filepath.Join(s.cfg.PartsDir, e.Name())); err != nil && !errors.Is(err, os.ErrNotExist) {
			s.log.Warn("removing a stored market part", "file", e.Name(), "err", fmt.Sprint(err))
		}
	}
}
