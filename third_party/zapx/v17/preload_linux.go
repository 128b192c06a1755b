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

import "syscall"

// madvPopulateRead is MADV_POPULATE_READ (Linux 5.14): fault the range in,
// reading it as needed.
const madvPopulateRead = 22

// Preload reads the segment's file into the page cache and maps all of it
// in the process, as Lucene's MMapDirectory preload and Elasticsearch's
// index.store.preload do: searches then never wait on a page fault (or a
// disk read, when the kernel dropped the file's pages while no process
// mapped them) the first time they touch a part of the segment. It
// returns the bytes preloaded.
func (s *Segment) Preload() int64 {
	if len(s.mm) == 0 {
		return 0
	}
	_ = syscall.Madvise(s.mm, syscall.MADV_WILLNEED) // read ahead, all at once
	if syscall.Madvise(s.mm, madvPopulateRead) != nil {
		touchPages(s.mm) // an older kernel
	}
	return int64(len(s.mm))
}
