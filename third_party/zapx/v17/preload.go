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

import "sync/atomic"

// touchSink keeps touchPages' reads from being optimized away.
var touchSink atomic.Uint32

// touchPages reads one byte of every 4 KiB page of b.
func touchPages(b []byte) {
	var x byte
	for i := 0; i < len(b); i += 4096 {
		x ^= b[i]
	}
	touchSink.Add(uint32(x))
}

// MappedSize is the size of the segment's file, mapped in memory.
func (s *Segment) MappedSize() int64 { return int64(len(s.mm)) }
