using System.Buffers.Binary;
using System.Text;

namespace LogitStd.Shell.Export;

/// <summary>
/// The protocol-buffers wire format, as far as ONNX needs it: varints (wire type 0), 32-bit floats
/// (type 5) and length-delimited fields (type 2: strings, bytes and nested messages); repeated
/// scalars are written one tag per element, as proto2 fields without <c>[packed=true]</c> are. A
/// message is written into its own buffer, so nesting is "encode the child, then write its length
/// and bytes" (the encoding of https://protobuf.dev/programming-guides/encoding/).
/// </summary>
internal sealed class ProtoWriter
{
    private readonly MemoryStream buffer = new();

    /// <summary>The encoded message.</summary>
    public byte[] ToArray() => buffer.ToArray();

    /// <summary>An int32/int64/enum/bool field (varint). Negative values take ten bytes, as protobuf's int64 encoding does.</summary>
    public ProtoWriter Int(int field, long value)
    {
        Tag(field, 0);
        Varint(unchecked((ulong)value));
        return this;
    }

    /// <summary>A float field (fixed 32 bits, little-endian).</summary>
    public ProtoWriter Float(int field, float value)
    {
        Tag(field, 5);
        Span<byte> bytes = stackalloc byte[4];
        BinaryPrimitives.WriteSingleLittleEndian(bytes, value);
        buffer.Write(bytes);
        return this;
    }

    /// <summary>A UTF-8 string field.</summary>
    public ProtoWriter String(int field, string value) => Bytes(field, Encoding.UTF8.GetBytes(value));

    /// <summary>A bytes field.</summary>
    public ProtoWriter Bytes(int field, ReadOnlySpan<byte> value)
    {
        Tag(field, 2);
        Varint((ulong)value.Length);
        buffer.Write(value);
        return this;
    }

    /// <summary>A nested message field.</summary>
    public ProtoWriter Message(int field, ProtoWriter message)
    {
        Tag(field, 2);
        Varint((ulong)message.buffer.Length);
        message.buffer.Position = 0;
        message.buffer.CopyTo(buffer);
        return this;
    }

    private void Tag(int field, int wireType) => Varint((ulong)((field << 3) | wireType));

    private void Varint(ulong value)
    {
        while (value >= 0x80)
        {
            buffer.WriteByte((byte)(value | 0x80));
            value >>= 7;
        }
        buffer.WriteByte((byte)value);
    }
}
