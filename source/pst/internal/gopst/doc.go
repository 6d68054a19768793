// go-pst is a library for reading Personal Storage Table (.pst) files (written in Go/Golang).
//
// Copyright 2023 Marten Mooij
//
// Licensed under the Apache License, Version 2.0 (the "License");
// you may not use this file except in compliance with the License.
// You may obtain a copy of the License at
//
// http://www.apache.org/licenses/LICENSE-2.0
//
// Unless required by applicable law or agreed to in writing, software
// distributed under the License is distributed on an "AS IS" BASIS,
// WITHOUT WARRANTIES OR CONDITIONS OF ANY KIND, either express or implied.
// See the License for the specific language governing permissions and
// limitations under the License.

// Package pst is the reading layer of github.com/mooijtech/go-pst v6.0.2
// (pkg/, Apache License 2.0: LICENSE.txt here), trimmed for source/pst:
// the node and block B-trees, Heap-on-Node, property and table contexts,
// local descriptors, folders' hierarchy and contents tables, attachment
// tables and the RTF decompressor, unchanged; what decodes every property
// into go-pst's generated protobuf/msgp types (pkg/properties,
// GetMessage, the iterators, Populate) is removed, with the io_uring
// reader and the global charset registration. Linked as is, those added
// 3.4 MB to bin/migrate (29.0 to 32.4 MB, over the 30 MB budget of make
// check-size), through the protobuf descriptors their package init
// registers. Each modified file says what was removed; one
// thing was added, Attachment.GetEmbeddedMessage (attachment.go), which
// reads attached Outlook items that upstream garbles (its issue #10). The tests of source/pst check this copy against the upstream
// module's own reading of the same files.
package pst
