// Your own TorchSharp loop with the LogitStd package: a teacher, then a KD+LS, a DKD+LS and an RLD+LS
// student, one epoch each on Fashion-MNIST, printing every named loss term.
// Run: dotnet run -- DATA_FOLDER   (the four Fashion-MNIST .gz files; default data/fashion-mnist)
using LogitStd.Core;
using TorchSharp;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

var folder = args.Length > 0 ? args[0] : "data/fashion-mnist";
using var train = FashionMnist.Load(folder, "train");
using var test = FashionMnist.Load(folder, "t10k");
manual_seed(1);

using var teacher = Mlp(hidden: 256);
Fit("teacher", teacher, Objectives.CrossEntropy, null);
using var kdStudent = Mlp(hidden: 16);
Fit("KD+LS", kdStudent, Objectives.Kd(temperature: 2, ceWeight: 0.1, kdWeight: 9, standardize: true), teacher);
using var dkdStudent = Mlp(hidden: 16);
Fit("DKD+LS", dkdStudent, Objectives.Dkd(standardize: true), teacher);
using var rldStudent = Mlp(hidden: 16);
Fit("RLD+LS", rldStudent, Objectives.ForMethod("rld", standardize: true), teacher); // any of the eight methods by name

Module<Tensor, Tensor> Mlp(int hidden) => Sequential(Linear(784, hidden), ReLU(), Linear(hidden, 10));

void Fit(string name, Module<Tensor, Tensor> model, Objective.Objective objective, Module<Tensor, Tensor>? teacher)
{
    const int epoch = 1; // DKD's and RLD's warm-up read it: Distillation.Evaluate requires it there
    using var optimizer = optim.SGD(model.parameters(), learningRate: 0.05, momentum: 0.9);
    model.train();
    teacher?.eval();
    int step = 0;
    foreach (var (images, labels) in train.Batches(size: 128, seed: epoch))
    {
        using var scope = NewDisposeScope(); // releases this step's tensors, the batch's included
        var logits = model.call(images);
        Tensor? teacherLogits = null;
        if (teacher is not null)
            using (no_grad()) teacherLogits = teacher.call(images);
        using var loss = Distillation.Evaluate(objective, logits, labels, teacher: teacherLogits, epoch: epoch);
        optimizer.zero_grad();
        loss.Total.backward();
        optimizer.step();
        if (++step % 100 == 0) Console.WriteLine($"{name} step {step}: {loss.ReadValues()}"); // total = ce … + kd …
    }
    Console.WriteLine($"{name}: {Objectives.Describe(objective)}, test accuracy {Accuracy(model):P1}");
}

double Accuracy(Module<Tensor, Tensor> model)
{
    using var scope = NewDisposeScope();
    using var _ = no_grad();
    model.eval();
    return model.call(test.Images).argmax(1).eq(test.Labels).to_type(float64).mean().item<double>();
}
