// The losses alone, with BenchmarkDotNet:
//   dotnet run --project bench/Losses.Bench -c Release [-- --quick] [BenchmarkDotNet arguments]
// --quick: one warm-up and three iterations of 64 invocations each, without BenchmarkDotNet's pilot
// stage (its ShortRun job took 39 s here, a third of the Cake target's two-minute quick budget).
// Benchmarks run in-process: the default out-of-process toolchain generates and builds a project per
// run, which needs the native-library fix step and minutes of build time on this machine.
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.Emit;
using LogitStd.Bench;

bool quick = args.Contains("--quick");
var rest = args.Where(a => a != "--quick").ToArray();
var job = (quick ? new Job("Quick").WithWarmupCount(1).WithIterationCount(3).WithInvocationCount(64).WithUnrollFactor(1) : Job.Default)
    .WithToolchain(InProcessEmitToolchain.Instance);
var config = DefaultConfig.Instance.AddJob(job.AsDefault());
var summaries = BenchmarkSwitcher.FromTypes([typeof(LossBenchmarks)]).Run(rest.Length > 0 ? rest : ["--filter", "*"], config);
return summaries.Any(s => s.HasCriticalValidationErrors || s.Reports.Any(r => !r.Success)) ? 1 : 0;
