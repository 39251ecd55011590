namespace LogitStd.Shell.Export;

/// <summary>
/// A block that writes its own forward pass into an ONNX graph: it calls
/// <see cref="OnnxGraphBuilder.Module"/> for each child (by its state-dict name) and the builder's
/// operators for what its <c>forward</c> does between them, in the same order and with the same
/// conditions (strides, residual tests) as <c>forward</c>.
/// </summary>
public interface IOnnxExportable
{
    /// <summary>Writes <c>forward(x)</c> and returns its output.</summary>
    OnnxValue ExportOnnx(OnnxGraphBuilder g, OnnxValue x);
}

/// <summary>A classifier that writes its forward pass: the logits and the pooled feature, as its <c>forward</c> returns them.</summary>
public interface IOnnxClassifier
{
    /// <summary>Writes <c>forward(x)</c> and returns (logits, feature).</summary>
    (OnnxValue Logits, OnnxValue Feature) ExportOnnx(OnnxGraphBuilder g, OnnxValue x);
}
