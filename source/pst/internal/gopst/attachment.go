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
// Modified for migrate (source/pst/internal/gopst): the attachment getters and iterator removed (they decoded every
// property, attachment data included, into memory through msgp); the
// embedded properties.Attachment removed. Added: GetEmbeddedMessage, which
// reads an attached Outlook item (ATTACH_EMBEDDED_MSG) as the message
// object it is; upstream has no reader for it, and WriteTo on such an
// attachment writes the 8-byte reference to the object instead of the
// object (the "garbage data" of go-pst issue #10).

package pst

import (
	"encoding/binary"
	"io"

	"github.com/rotisserie/eris"
)

// Attachment represents a message attachment.
type Attachment struct {
	Identifier       Identifier
	PropertyContext  *PropertyContext
	LocalDescriptors []LocalDescriptor
}

// HasAttachments returns true if this message has attachments.
func (message *Message) HasAttachments() (bool, error) {
	reader, err := message.PropertyContext.GetPropertyReader(3591, message.LocalDescriptors)

	if err != nil {
		return false, eris.Wrap(err, "failed to get property reader")
	}

	value, err := reader.GetInteger32()

	if err != nil {
		return false, eris.Wrap(err, "failed to read int32")
	}

	return value&0x10 != 0, nil
}

// GetAttachmentTableContext returns the table context of the attachments of this message.
// Note we only return the attachment identifier property.
func (message *Message) GetAttachmentTableContext() (*TableContext, error) {
	hasAttachments, err := message.HasAttachments()

	if err != nil {
		return nil, eris.Wrap(err, "failed to check if there are attachments")
	}

	if !hasAttachments {
		return nil, ErrAttachmentsNotFound
	}

	if message.AttachmentTableContext == nil {
		// Initialize the attachments table context.
		attachmentLocalDescriptor, err := FindLocalDescriptor(1649, message.LocalDescriptors)

		if err != nil {
			return nil, eris.Wrap(err, "failed to find attachment local descriptor")
		}

		attachmentHeapOnNode, err := message.File.GetHeapOnNodeFromLocalDescriptor(attachmentLocalDescriptor)

		if err != nil {
			return nil, eris.Wrap(err, "failed to get attachment Heap-on-Node")
		}

		attachmentLocalDescriptors, err := message.File.GetLocalDescriptorsFromIdentifier(attachmentLocalDescriptor.LocalDescriptorsIdentifier)

		if err != nil {
			return nil, eris.Wrap(err, "failed to get attachment local descriptors")
		}

		attachmentTableContext, err := message.File.GetTableContext(attachmentHeapOnNode, attachmentLocalDescriptors, 26610)

		if err != nil {
			return nil, eris.Wrap(err, "failed to get attachment table context")
		}

		message.AttachmentTableContext = &attachmentTableContext
	}

	return message.AttachmentTableContext, nil
}

// GetAttachmentCount returns the amount of rows in the attachment table context.
func (message *Message) GetAttachmentCount() (int, error) {
	attachmentTableContext, err := message.GetAttachmentTableContext()

	if eris.Is(err, ErrAttachmentsNotFound) {
		return 0, nil
	} else if err != nil {
		return 0, eris.Wrap(err, "failed to get attachment table context")
	}

	return len(attachmentTableContext.Properties), nil
}

// WriteTo writes the attachment to the specified io.Writer.
func (attachment *Attachment) WriteTo(writer io.Writer) (int64, error) {
	attachmentReader, err := attachment.PropertyContext.GetPropertyReader(14081, attachment.LocalDescriptors)

	if eris.Is(err, ErrPropertyNoData) {
		return 0, nil
	} else if err != nil {
		return 0, eris.Wrap(err, "failed to get attachment property reader")
	}

	sectionReader := io.NewSectionReader(&attachmentReader, 0, attachmentReader.Size())

	written, err := io.CopyN(writer, sectionReader, sectionReader.Size())

	if err != nil {
		return written, eris.Wrap(err, "failed to write attachment")
	}

	return written, nil
}

// GetEmbeddedMessage returns the message object held by an attachment
// whose PidTagAttachMethod is ATTACH_EMBEDDED_MSG (5): its property
// context and its own subnodes (recipient table, attachment table).
//
// PidTagAttachDataObject (0x3701) is then of type PtypObject, and in a
// property context its HNID names a heap allocation of 8 bytes, the
// subnode's NID and the object's size ([MS-PST] 2.3.3.5 "PtypObject
// Properties"), not the data: reading the property as bytes, as WriteTo
// does, gives those 8 bytes (go-pst issue #10). The subnode is in the
// attachment's local descriptors, and it is a message object laid out
// as a top-level one ([MS-PST] 2.4.6.2 "Attachment Object PC").
func (attachment *Attachment) GetEmbeddedMessage() (*Message, error) {
	property, err := attachment.PropertyContext.GetPropertyByID(14081)

	if err != nil {
		return nil, err
	} else if property.Type != PropertyTypeObject {
		return nil, ErrPropertyTypeMismatch
	}

	nid := property.HNID

	if nid.GetType() == IdentifierTypeHID {
		reader, err := attachment.PropertyContext.GetPropertyReader(14081, attachment.LocalDescriptors)

		if err != nil {
			return nil, eris.Wrap(err, "failed to get embedded message reference")
		}

		reference := make([]byte, 8)

		if _, err := reader.ReadAt(reference, 0); err != nil {
			return nil, eris.Wrap(err, "failed to read embedded message reference")
		}

		nid = Identifier(binary.LittleEndian.Uint32(reference[:4]))
	}

	localDescriptor, err := FindLocalDescriptor(nid, attachment.LocalDescriptors)

	if err != nil {
		return nil, eris.Wrap(err, "failed to find embedded message subnode")
	}

	file := attachment.PropertyContext.File

	heapOnNode, err := file.GetHeapOnNodeFromLocalDescriptor(localDescriptor)

	if err != nil {
		return nil, eris.Wrap(err, "failed to get embedded message Heap-on-Node")
	}

	localDescriptors, err := file.GetLocalDescriptorsFromIdentifier(localDescriptor.LocalDescriptorsIdentifier)

	if err != nil {
		return nil, eris.Wrap(err, "failed to get embedded message local descriptors")
	}

	propertyContext, err := file.GetPropertyContext(heapOnNode)

	if err != nil {
		return nil, eris.Wrap(err, "failed to get embedded message property context")
	}

	return &Message{File: file, Identifier: nid, PropertyContext: propertyContext, LocalDescriptors: localDescriptors}, nil
}
