using System.Runtime.InteropServices;

namespace LogitStd.Shell.Export;

/// <summary>A node attribute: one int, one float or a list of ints (the only kinds the zoo's operators take).</summary>
public sealed record OnnxAttribute(string Name, long? Int = null, float? Float = null, IReadOnlyList<long>? Ints = null);

/// <summary>One operator application: <c>outputs = op_type(inputs; attributes)</c>.</summary>
public sealed record OnnxNode(string OpType, string Name, IReadOnlyList<string> Inputs, IReadOnlyList<string> Outputs, IReadOnlyList<OnnxAttribute> Attributes);

/// <summary>A constant tensor (weights, shapes, slice bounds): float32 or int64 data, row-major.</summary>
public sealed record OnnxTensor(string Name, IReadOnlyList<long> Dims, float[]? Floats = null, long[]? Longs = null);

/// <summary>A graph input or output: its name, element type and shape (a null entry is the symbolic batch dimension).</summary>
public sealed record OnnxValueInfo(string Name, IReadOnlyList<long?> Dims, string BatchName = "N");

/// <summary>A whole model: the graph, its constants and interface, the opset and the metadata.</summary>
public sealed record OnnxModelDescription(
    string GraphName,
    IReadOnlyList<OnnxNode> Nodes,
    IReadOnlyList<OnnxTensor> Initializers,
    IReadOnlyList<OnnxValueInfo> Inputs,
    IReadOnlyList<OnnxValueInfo> Outputs,
    int Opset,
    IReadOnlyList<KeyValuePair<string, string>> Metadata,
    string ProducerVersion);

/// <summary>
/// Encodes an <see cref="OnnxModelDescription"/> as an ONNX <c>ModelProto</c>. Field numbers are
/// those of <c>onnx/onnx.proto</c> (IR version 7–10): ModelProto ir_version 1, producer_name 2,
/// producer_version 3, graph 7, opset_import 8, metadata_props 14; GraphProto node 1, name 2,
/// initializer 5, input 11, output 12; NodeProto input 1, output 2, name 3, op_type 4, attribute 5;
/// AttributeProto name 1, f 2, i 3, ints 8, type 20; TensorProto dims 1, data_type 2, name 8,
/// raw_data 9; ValueInfoProto name 1, type 2; TypeProto tensor_type 1 (elem_type 1, shape 2);
/// TensorShapeProto dim 1 (dim_value 1, dim_param 2); OperatorSetIdProto domain 1, version 2;
/// StringStringEntryProto key 1, value 2.
/// </summary>
public static class OnnxEncoder
{
    private const int FloatType = 1;   // TensorProto.DataType.FLOAT
    private const int Int64Type = 7;   // TensorProto.DataType.INT64
    private const int AttrFloat = 1, AttrInt = 2, AttrInts = 7; // AttributeProto.AttributeType

    /// <summary>The oldest and newest default-domain opsets the exporter writes.</summary>
    public const int MinOpset = 13, MaxOpset = 21;

    /// <summary>
    /// The IR version that goes with an opset (onnx/docs/Versioning.md): opset 13–14 ↔ IR 7,
    /// 15–18 ↔ IR 8, 19–20 ↔ IR 9, 21 ↔ IR 10.
    /// </summary>
    public static int IrVersion(int opset) => opset switch
    {
        >= 21 => 10,
        >= 19 => 9,
        >= 15 => 8,
        _ => 7,
    };

    /// <summary>The serialized ModelProto.</summary>
    public static byte[] Encode(OnnxModelDescription model)
    {
        var graph = new ProtoWriter();
        foreach (var node in model.Nodes) graph.Message(1, Node(node));
        graph.String(2, model.GraphName);
        foreach (var t in model.Initializers) graph.Message(5, Tensor(t));
        foreach (var v in model.Inputs) graph.Message(11, ValueInfo(v));
        foreach (var v in model.Outputs) graph.Message(12, ValueInfo(v));

        var proto = new ProtoWriter()
            .Int(1, IrVersion(model.Opset))
            .String(2, "logitstd")
            .String(3, model.ProducerVersion)
            .Message(7, graph)
            .Message(8, new ProtoWriter().String(1, "").Int(2, model.Opset));
        foreach (var (key, value) in model.Metadata) proto.Message(14, new ProtoWriter().String(1, key).String(2, value));
        return proto.ToArray();
    }

    private static ProtoWriter Node(OnnxNode node)
    {
        var w = new ProtoWriter();
        foreach (var i in node.Inputs) w.String(1, i);
        foreach (var o in node.Outputs) w.String(2, o);
        w.String(3, node.Name).String(4, node.OpType);
        foreach (var a in node.Attributes) w.Message(5, Attribute(a));
        return w;
    }

    private static ProtoWriter Attribute(OnnxAttribute a)
    {
        var w = new ProtoWriter().String(1, a.Name);
        if (a.Int is { } i) w.Int(3, i).Int(20, AttrInt);
        else if (a.Float is { } f) w.Float(2, f).Int(20, AttrFloat);
        else if (a.Ints is { } ints)
        {
            // Repeated int64 in a proto2 message without [packed=true]: one tag per element.
            foreach (var v in ints) w.Int(8, v);
            w.Int(20, AttrInts);
        }
        else throw new ArgumentException($"attribute '{a.Name}' has no value");
        return w;
    }

    private static ProtoWriter Tensor(OnnxTensor t)
    {
        var w = new ProtoWriter();
        foreach (var d in t.Dims) w.Int(1, d);
        if (t.Floats is { } floats)
            w.Int(2, FloatType).String(8, t.Name).Bytes(9, LittleEndian(floats));
        else if (t.Longs is { } longs)
            w.Int(2, Int64Type).String(8, t.Name).Bytes(9, LittleEndian(longs));
        else throw new ArgumentException($"tensor '{t.Name}' has no data");
        return w;
    }

    private static ProtoWriter ValueInfo(OnnxValueInfo v)
    {
        var shape = new ProtoWriter();
        foreach (var d in v.Dims)
            shape.Message(1, d is { } value ? new ProtoWriter().Int(1, value) : new ProtoWriter().String(2, v.BatchName));
        var tensorType = new ProtoWriter().Int(1, FloatType).Message(2, shape);
        return new ProtoWriter().String(1, v.Name).Message(2, new ProtoWriter().Message(1, tensorType));
    }

    private static ReadOnlySpan<byte> LittleEndian<T>(T[] values) where T : struct
    {
        if (!BitConverter.IsLittleEndian) throw new PlatformNotSupportedException("ONNX raw_data is little-endian; this writer runs on little-endian machines only");
        return MemoryMarshal.AsBytes(values.AsSpan());
    }
}
