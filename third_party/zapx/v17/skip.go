// Copyright (c) 2026 hoso authors. A hoso addition to zapx; see PATCH.md.
//
// Licensed under the Apache License, Version 2.0 (the "License");
// you may not use this file except in compliance with the License.
// You may obtain a copy of the License at
//
// 		http://www.apache.org/licenses/LICENSE-2.0
//
// Unless required by applicable law or agreed to in writing, software
// distributed under the License is distributed on an "AS IS" BASIS,
// WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
// See the License for the specific language governing permissions and
// limitations under the License.

package zap

import (
	"sort"
	"sync"
	"sync/atomic"
)

// Checkpoints within a chunk. A chunk's frequencies, norms and locations
// are varint streams with no index: reaching its k-th posting decodes the
// k before it, and the bitmap of the term's pages is walked page by page
// to count them. A restricted iterator (ReplaceActual) reading a few pages
// of a long postings list pays that for every page it reads (half a chunk,
// 500 postings, on average). A chunk's checkpoints record, every
// skipEvery postings, the posting's page and the offsets of the two
// streams before it, so the iterator starts from the last checkpoint at or
// before the wanted page: skipEvery/2 postings on average. They are made
// the second time a chunk is read that way (one decoding of the chunk) and
// kept with the segment: 12 bytes per skipEvery postings.

// skipEvery is the distance in postings between two checkpoints.
const skipEvery = 64

// CheckpointJumps counts the iterator moves made from a checkpoint while
// CountCheckpointJumps is set (by tests, before they read postings).
var (
	CheckpointJumps      atomic.Int64
	CountCheckpointJumps bool
)

// chunkCheckpoints are a chunk's checkpoints: doc[j] is the page of its
// posting j*skipEvery, fr[j] and lr[j] the offsets in the chunk's
// freq/norm and location streams where that posting starts.
type chunkCheckpoints struct {
	doc    []uint32
	fr, lr []uint32
}

// termCheckpoints are a postings list's checkpoints, per chunk (nil: not
// made yet), and how many times each chunk was asked for them.
type termCheckpoints struct {
	chunks []atomic.Pointer[chunkCheckpoints]
	asked  []atomic.Int32
}

// checkpointCache holds a segment's checkpoints by the postings list's
// freq/norm offset.
type checkpointCache struct {
	m sync.Map // uint64 -> *termCheckpoints
}

// checkpoints returns chunk c's checkpoints of p (numChunks chunks), nil
// when it has none. They are made the second time the chunk is asked for
// them: making them decodes the whole chunk, twice what one read costs on
// average, and most chunks read once in a sparse way are never read again
// (the first search of a name pays no more than it did without them).
func (p *PostingsList) checkpoints(c uint32, numChunks int) *chunkCheckpoints {
	v, ok := p.sb.skips.m.Load(p.freqOffset)
	if !ok {
		v, _ = p.sb.skips.m.LoadOrStore(p.freqOffset, &termCheckpoints{
			chunks: make([]atomic.Pointer[chunkCheckpoints], numChunks),
			asked:  make([]atomic.Int32, numChunks),
		})
	}
	tc := v.(*termCheckpoints)
	if int(c) >= len(tc.chunks) {
		return nil
	}
	if cp := tc.chunks[c].Load(); cp != nil {
		return cp
	}
	if tc.asked[c].Add(1) < 2 {
		return nil
	}
	cp := p.buildCheckpoints(c)
	if cp != nil {
		tc.chunks[c].Store(cp) // (a concurrent build stores the same)
	}
	return cp
}

// buildCheckpoints decodes chunk c of p once and records its checkpoints.
func (p *PostingsList) buildCheckpoints(c uint32) *chunkCheckpoints {
	fd := newChunkedIntDecoder(p.sb.mem, p.freqOffset, nil, p.sb.fileReader)
	if fd.loadChunk(int(c)) != nil {
		return nil
	}
	S := fd.curChunkBytes
	var LS []byte // the location stream, loaded at its first use
	C, LC := 0, 0
	cp := &chunkCheckpoints{}
	start := uint64(c) * p.chunkSize
	end := start + p.chunkSize
	it := p.postings.Iterator()
	it.AdvanceIfNeeded(uint32(start))
	for k := 0; it.HasNext() && uint64(it.PeekNext()) < end; k++ {
		d := it.Next()
		if k%skipEvery == 0 {
			cp.doc = append(cp.doc, d)
			cp.fr = append(cp.fr, uint32(C))
			cp.lr = append(cp.lr, uint32(LC))
		}
		var x uint64
		for s := uint(0); C < len(S); s += 7 {
			b := S[C]
			C++
			x |= uint64(b&0x7f) << s
			if b < 0x80 {
				break
			}
		}
		if x>>1 != 0 { // freq: skip normBits
			for C < len(S) {
				b := S[C]
				C++
				if b < 0x80 {
					break
				}
			}
		}
		if x&1 != 0 { // hasLocs: skip numLocsBytes and them
			if LS == nil {
				ld := newChunkedIntDecoder(p.sb.mem, p.locOffset, nil, p.sb.fileReader)
				if ld.loadChunk(int(c)) != nil {
					return nil
				}
				LS = ld.curChunkBytes
			}
			var nb uint64
			for s := uint(0); LC < len(LS); s += 7 {
				b := LS[LC]
				LC++
				nb |= uint64(b&0x7f) << s
				if b < 0x80 {
					break
				}
			}
			LC += int(nb)
		}
	}
	return cp
}

// jumpToCheckpoint moves the iterator, in n's chunk nChunk, to the last
// checkpoint at or before page n when that is past allN (the next page of
// all, where the iterator's streams stand), and returns the new next page
// of all; allN otherwise.
func (i *PostingsIterator) jumpToCheckpoint(nChunk, n, allN uint32) (uint32, error) {
	cp := i.postings.checkpoints(nChunk, len(i.freqNormReader.chunkOffsets))
	if cp == nil {
		return allN, nil
	}
	j := sort.Search(len(cp.doc), func(j int) bool { return cp.doc[j] > n }) - 1
	if j < 0 || cp.doc[j] <= allN {
		return allN, nil
	}
	if i.currChunk != nChunk || i.freqNormReader.isNil() {
		if err := i.loadChunk(int(nChunk)); err != nil {
			return 0, err
		}
	}
	i.freqNormReader.r.C = int(cp.fr[j])
	if i.includeLocs {
		i.locReader.r.C = int(cp.lr[j])
	}
	i.all.AdvanceIfNeeded(cp.doc[j])
	if CountCheckpointJumps {
		CheckpointJumps.Add(1)
	}
	return i.all.Next(), nil
}
