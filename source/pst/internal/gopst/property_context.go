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
// Modified for migrate (source/pst/internal/gopst): Populate (msgp decoding) and the embedded property map removed.

package pst

import (
	"encoding/binary"
	"github.com/rotisserie/eris"
)

// PropertyContext represents the property context.
type PropertyContext struct {
	Properties []Property
	HeapOnNode *HeapOnNode
	File       *File
}

// GetPropertyByID returns the property by ID.
func (propertyContext *PropertyContext) GetPropertyByID(propertyID uint16) (Property, error) {
	for _, property := range propertyContext.Properties {
		if property.ID == propertyID {
			return property, nil
		}
	}

	return Property{}, ErrPropertyNotFound
}

// GetPropertyReader returns the reader for the property, may return ErrPropertyNotFound.
func (propertyContext *PropertyContext) GetPropertyReader(propertyID uint16, localDescriptors []LocalDescriptor) (PropertyReader, error) {
	property, err := propertyContext.GetPropertyByID(propertyID)

	if err != nil {
		return PropertyReader{}, ErrPropertyNotFound
	}

	return NewPropertyReader(property, propertyContext.HeapOnNode, propertyContext.File, localDescriptors)
}

// GetPropertyContext returns the property context (BC Table).
// References https://github.com/mooijtech/go-pst/tree/master/docs#property-context-pc
func (file *File) GetPropertyContext(heapOnNode *HeapOnNode) (*PropertyContext, error) {
	tableType, err := heapOnNode.GetTableType()

	if err != nil {
		return nil, eris.Wrap(err, "failed to get table type")
	} else if tableType != 188 {
		// Must be Property Context.
		return nil, ErrTableTypeInvalid
	}

	btreeOnHeapHeader, err := file.GetBTreeOnHeapHeader(heapOnNode)

	if err != nil {
		return nil, eris.Wrap(err, "failed to get b-tree-on-heap header")
	}

	keyTableReader, err := file.GetHeapOnNodeReaderFromHNID(btreeOnHeapHeader.HIDRoot, *heapOnNode.Reader)

	if err != nil {
		return nil, eris.Wrap(err, "failed to get key table reader")
	}

	keyCount := int(keyTableReader.Size()) / int(btreeOnHeapHeader.KeySize+btreeOnHeapHeader.ValueSize)

	var properties []Property
	offset := int64(0)

	for i := 0; i < keyCount; i++ {
		// PropertyContextItem represents an item within the property context.
		// References "Property Context B-Tree-on-Heap Record".
		// References [MS-PDF]: 2.3.3.3 PC BTH Record
		var property Property

		// TODO - We can merge into a single ReadAt again.
		propertyID := make([]byte, 2)

		if _, err := keyTableReader.ReadAt(propertyID, offset); err != nil {
			return nil, eris.Wrap(err, "failed to read property ID")
		}

		propertyType := make([]byte, 2)

		if _, err := keyTableReader.ReadAt(propertyType, offset+2); err != nil {
			return nil, eris.Wrap(err, "failed to read property type")
		}

		data := make([]byte, 4)

		if _, err := keyTableReader.ReadAt(data, offset+4); err != nil {
			return nil, eris.Wrap(err, "failed to read data")
		}

		property.ID = binary.LittleEndian.Uint16(propertyID)
		property.Type = PropertyType(binary.LittleEndian.Uint16(propertyType))

		// Property Context uses a HNID for any data (PropertyType) exceeding 4 bytes.
		// Otherwise, the data is small enough to fit in the Property directly.
		// The PropertyReader will handle type conversion.
		if property.Type.GetDataSize() != -1 && property.Type.GetDataSize() <= 4 {
			property.Data = data
		} else {
			// Variable size data.
			property.HNID = Identifier(binary.LittleEndian.Uint32(data))
		}

		properties = append(properties, property)
		offset += 8
	}

	return &PropertyContext{
		Properties: properties,
		HeapOnNode: heapOnNode,
		File:       file,
	}, nil
}
