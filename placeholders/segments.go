package placeholders

import (
	"encoding/binary"
	"sort"
)

// segsPerBlock is how many segments share one checkpoint in segments.
const segsPerBlock = 32

// segments records the replaced placeholders of a text, in order: the source
// bytes [src, src+srcLen) became the output bytes [out, out+outLen). Between
// two segments the output is a copy of the source, so a segment is stored as
// three varints (the gap since the previous one, srcLen, outLen), a few bytes
// each, and every segsPerBlock-th segment gets a checkpoint with absolute
// offsets. A lookup is a binary search over the checkpoints and a scan of at
// most segsPerBlock segments.
type segments struct {
	blocks         []segBlock
	data           []byte
	n              int
	srcEnd, outEnd int64 // end of the last segment
}

type segBlock struct {
	firstOut       int64 // output offset of the block's first segment
	srcEnd, outEnd int64 // end of the segment before the block
	off            int   // offset of the block's first segment in data
}

// add appends a segment; segments must come in source order.
func (s *segments) add(src, srcLen, out, outLen int64) {
	if s.n%segsPerBlock == 0 {
		s.blocks = append(s.blocks, segBlock{firstOut: out, srcEnd: s.srcEnd, outEnd: s.outEnd, off: len(s.data)})
	}
	s.data = binary.AppendUvarint(s.data, uint64(src-s.srcEnd)) // == out - s.outEnd
	s.data = binary.AppendUvarint(s.data, uint64(srcLen))
	s.data = binary.AppendUvarint(s.data, uint64(outLen))
	s.n++
	s.srcEnd, s.outEnd = src+srcLen, out+outLen
}

// sourceOffset maps an output offset to a source offset: inside a segment's
// output to the segment's source start, elsewhere to the same byte.
func (s *segments) sourceOffset(out int64) int64 {
	b := sort.Search(len(s.blocks), func(i int) bool { return s.blocks[i].firstOut > out }) - 1
	if b < 0 {
		return out
	}
	blk := s.blocks[b]
	data := s.data[blk.off:]
	if b+1 < len(s.blocks) {
		data = s.data[blk.off:s.blocks[b+1].off]
	}
	// Find the last segment of the block that starts at or before out; the
	// block's first one does.
	srcEnd, outEnd := blk.srcEnd, blk.outEnd
	var src, srcLen, start, outLen int64
	for len(data) > 0 {
		gap, k1 := binary.Uvarint(data)
		sl, k2 := binary.Uvarint(data[k1:])
		ol, k3 := binary.Uvarint(data[k1+k2:])
		data = data[k1+k2+k3:]
		o := outEnd + int64(gap)
		if o > out {
			break
		}
		src, srcLen, start, outLen = srcEnd+int64(gap), int64(sl), o, int64(ol)
		srcEnd, outEnd = src+srcLen, start+outLen
	}
	if out < start+outLen {
		return src
	}
	return src + srcLen + (out - start - outLen)
}
