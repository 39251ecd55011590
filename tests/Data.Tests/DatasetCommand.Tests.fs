/// `logitstd dataset check` through its command function: exit codes and messages.
module LogitStd.Data.Tests.DatasetCommandTests

open System.IO
open Expecto
open LogitStd.Core
open LogitStd.Shell.Cli
open LogitStd.Data.Tests.TestFiles

let private check kind (dir: string) =
    use out = new StringWriter()
    use err = new StringWriter()
    let code = LogitStd.Shell.ExitCodes.Run((fun () -> DatasetCommand.Check(kind, dir, out, err)), err)
    code, out.ToString(), err.ToString()

let tests =
    testList "dataset check" [
        test "a 100-record CIFAR-100 file checks clean; truncated or with fine label 150 it is rejected naming the file" {
            let dir = tempDir "check-cifar"
            let train = Path.Combine(dir, "train.bin")
            File.WriteAllBytes(train, validCifar 100)
            File.WriteAllBytes(Path.Combine(dir, "test.bin"), validCifar 100)
            let code, out, _ = check Domain.DatasetKind.Cifar100 dir
            Expect.equal code 0 "clean"
            Expect.stringContains out "train           100" "train count"
            let code1, out1, _ = check Domain.DatasetKind.Cifar100 train
            Expect.equal code1 0 "the single file checks clean"
            Expect.stringContains out1 "3×32×32 uint8" "shape"
            File.WriteAllBytes(train, (validCifar 100)[.. 100 * 3074 - 2])
            let code2, _, err2 = check Domain.DatasetKind.Cifar100 dir
            Expect.equal code2 1 "truncated: exit 1"
            Expect.stringStarts err2 "error: " "error line"
            Expect.stringContains err2 train "names the file"
            let bad = validCifar 100
            bad[1] <- 150uy
            File.WriteAllBytes(train, bad)
            let code3, _, err3 = check Domain.DatasetKind.Cifar100 train
            Expect.equal code3 1 "label 150: exit 1"
            Expect.stringContains err3 train "names the file"
            Expect.stringContains err3 "fine label 150" "says what is wrong"
        }

        test "Fashion-MNIST: counts and histogram; a missing folder says which four files to put where" {
            let dir = tempDir "check-fashion"
            writeFashionFolder dir 30 10
            let code, out, _ = check Domain.DatasetKind.Fashion_Mnist dir
            Expect.equal code 0 "clean"
            Expect.stringContains out "1×28×28 uint8" "shape"
            Expect.stringContains out "Ankle boot" "histogram with names"
            let code2, _, err = check Domain.DatasetKind.Fashion_Mnist (Path.Combine(dir, "nope"))
            Expect.equal code2 1 "missing: exit 1"
            Expect.stringContains err "train-images-idx3-ubyte.gz" "names the files"
        }

        test "an image folder with a corrupt image fails the check" {
            let root = tempDir "check-folder"
            writeImageFolder root "train" [ "a"; "b" ] 2
            writeImageFolder root "val" [ "a"; "b" ] 1
            let code, out, _ = check Domain.DatasetKind.Imagefolder root
            Expect.equal code 0 "clean"
            Expect.stringContains out "val" "the val split"
            let bad = Path.Combine(root, "val", "a", "broken.jpg")
            File.WriteAllBytes(bad, bytes 9 300)
            let code2, _, err = check Domain.DatasetKind.Imagefolder root
            Expect.equal code2 1 "corrupt: exit 1"
            Expect.stringContains err bad "names the file"
        }
    ]
