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

//go:build !linux

package zap

// Preload reads the segment's file into memory by touching each of its
// pages (see the Linux version). It returns the bytes preloaded.
func (s *Segment) Preload() int64 {
	touchPages(s.mm)
	return int64(len(s.mm))
}
