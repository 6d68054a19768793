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
//
// Modified for migrate (source/pst/internal/gopst): the message iterator and GetMessage removed (GetMessage decoded every
// property into generated protobuf/msgp types and printed to standard output;
// source/pst reads a message's property context itself); Message.Properties removed.

package pst

import (
	_ "embed"
	"github.com/pkg/errors"
	"github.com/rotisserie/eris"
)

// Message represents a message.
type Message struct {
	File                   *File
	Identifier             Identifier
	PropertyContext        *PropertyContext
	AttachmentTableContext *TableContext
	LocalDescriptors       []LocalDescriptor // Used by the PropertyContext and TableContext.
}

// GetMessageTableContext returns the message table context of this folder which contains references to all messages.
// Note this only returns the identifier of each message.
func (folder *Folder) GetMessageTableContext() (TableContext, error) {
	emailsIdentifier := folder.Identifier + 12

	emailsNode, err := folder.File.GetNodeBTreeNode(emailsIdentifier)

	if err != nil {
		return TableContext{}, eris.Wrap(err, "failed to find node b-tree node")
	}

	localDescriptors, err := folder.File.GetLocalDescriptors(emailsNode)

	if err != nil {
		return TableContext{}, eris.Wrap(err, "failed to find local descriptors")
	}

	emailsDataNode, err := folder.File.GetDataBTreeNode(emailsIdentifier)

	if err != nil {
		return TableContext{}, eris.Wrap(err, "failed to find data b-tree node")
	}

	emailsHeapOnNode, err := folder.File.GetHeapOnNode(emailsDataNode)

	if err != nil {
		return TableContext{}, eris.Wrap(err, "failed to get Heap-on-Node")
	}

	// 26610 is a message property HNID.
	tableContext, err := folder.File.GetTableContext(emailsHeapOnNode, localDescriptors, 26610)

	if err != nil {
		return TableContext{}, eris.Wrap(err, "failed to get table context")
	}

	return tableContext, nil
}

// GetBodyRTF return the RTF body, may be
func (message *Message) GetBodyRTF() (string, error) {
	rtfPropertyReader, err := message.PropertyContext.GetPropertyReader(4105, message.LocalDescriptors)

	if err != nil {
		return "", err
	}

	rtfBody := make([]byte, rtfPropertyReader.Size())

	if _, err := rtfPropertyReader.ReadAt(rtfBody, 0); err != nil {
		return "", errors.WithStack(err)
	}

	return NewRTFDecoder().Decode(rtfBody)
}
