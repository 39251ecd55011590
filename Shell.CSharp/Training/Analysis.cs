using System.Globalization;
using System.Text;
using LogitStd.Shell.Data;
using LogitStd.Shell.Models;
using static TorchSharp.torch;

namespace LogitStd.Shell.Training;

/// <summary>
/// What the figures need, written at the end of a run (docs/run-folder.md): the test-set logits of the
/// final student and of the teacher, one row per image in dataset order.
/// </summary>
public static class Analysis
{
    public static void Write(RunFolder run, Classifier student, Classifier? teacher, DataLoader test, Device device)
    {
        Directory.CreateDirectory(run.AnalysisDir);
        WriteLogits(Path.Combine(run.AnalysisDir, "student_test_logits.csv"), student, test, device);
        if (teacher is not null) WriteLogits(Path.Combine(run.AnalysisDir, "teacher_test_logits.csv"), teacher, test, device);
    }

    /// <summary>Writes <c>label,logit_0..logit_{K-1}</c> rows for every test image (atomic).</summary>
    public static void WriteLogits(string path, Classifier model, DataLoader loader, Device device)
    {
        var tmp = path + ".tmp";
        using (var w = new StreamWriter(tmp, false, new UTF8Encoding(false)))
        {
            bool header = false;
            Evaluation.Run(model, loader, device, (logits, labels) =>
            {
                var k = (int)logits.shape[1];
                if (!header)
                {
                    w.WriteLine("label," + string.Join(",", Enumerable.Range(0, k).Select(i => $"logit_{i}")));
                    header = true;
                }
                var values = logits.to(CPU).to_type(ScalarType.Float32).contiguous().data<float>().ToArray();
                var ys = labels.to(CPU).data<long>().ToArray();
                var sb = new StringBuilder();
                for (int r = 0; r < ys.Length; r++)
                {
                    sb.Clear().Append(ys[r].ToString(CultureInfo.InvariantCulture));
                    for (int c = 0; c < k; c++) sb.Append(',').Append(values[r * k + c].ToString("R", CultureInfo.InvariantCulture));
                    w.WriteLine(sb);
                }
            });
        }
        File.Move(tmp, path, overwrite: true);
    }
}
