/// The loss library's public API, pinned: a listing generated from the built assembly must equal the
/// committed `PublicApi.LogitStd.Core.txt`, so that every change to what users can call — a member,
/// a parameter, a default, a nullable annotation — shows as a diff in review.
module LogitStd.Core.Tests.PublicApiTests

open System
open System.IO
open System.Reflection
open Expecto
open LogitStd.Core
open LogitStd.Tests.TestPaths

/// A fresh context per use: NullabilityInfoContext caches without locks, and Expecto runs tests in parallel.
let private nullability () = NullabilityInfoContext()

/// A type as a reader writes it: `IReadOnlyList<KeyValuePair<String, Tensor>>`; the library's own
/// types with their namespace, nested types joined by a dot.
let rec typeName (t: Type) : string =
    if t.IsByRef then "byref " + typeName (t.GetElementType())
    elif t.IsArray then typeName (t.GetElementType()) + "[]"
    elif t.IsGenericParameter then t.Name
    elif t.IsGenericType then
        let def = t.GetGenericTypeDefinition()
        let name = (if def.Namespace = "LogitStd.Core" || (not (isNull def.DeclaringType)) then def.FullName else def.Name).Replace('+', '.')
        let bare = name.Substring(0, name.IndexOf '`')
        sprintf "%s<%s>" bare (String.Join(", ", t.GetGenericArguments() |> Array.map typeName))
    elif not (isNull t.Namespace) && t.Namespace.StartsWith "LogitStd" then t.FullName.Replace('+', '.')
    elif not (isNull t.DeclaringType) then (typeName t.DeclaringType) + "." + t.Name
    else t.Name

/// `?` where the reference is annotated nullable for C# (F# `| null`).
let private mark (state: NullabilityState) (t: Type) =
    if not t.IsValueType && state = NullabilityState.Nullable then "?" else ""

let private parameter (p: ParameterInfo) =
    let n = (nullability ()).Create p
    let dflt =
        if p.IsOptional then
            if p.HasDefaultValue then sprintf " = %s" (match p.DefaultValue with null -> "null" | :? string as s -> "\"" + s + "\"" | v -> string v)
            else " = default"
        else ""
    let pars = if p.IsDefined(typeof<ParamArrayAttribute>) then "params " else ""
    sprintf "%s%s%s %s%s" pars (typeName p.ParameterType) (mark n.ReadState p.ParameterType) p.Name dflt

let private parameters (m: MethodBase) = String.Join(", ", m.GetParameters() |> Array.map parameter)

let private memberLine (m: MemberInfo) : string option =
    match m with
    | :? ConstructorInfo as c -> Some (sprintf "ctor(%s)" (parameters c))
    | :? MethodInfo as mi when not mi.IsSpecialName ->
        let r = (nullability ()).Create mi.ReturnParameter
        Some (sprintf "%smethod %s%s %s(%s)" (if mi.IsStatic then "static " else "") (typeName mi.ReturnType) (mark r.ReadState mi.ReturnType) mi.Name (parameters mi))
    | :? PropertyInfo as p ->
        let n = (nullability ()).Create p
        let index = if p.GetIndexParameters().Length > 0 then sprintf "[%s]" (String.Join(", ", p.GetIndexParameters() |> Array.map parameter)) else ""
        let isStatic = (p.GetAccessors() |> Array.exists (fun a -> a.IsStatic))
        Some (sprintf "%sproperty %s%s %s%s { %s}" (if isStatic then "static " else "") (typeName p.PropertyType) (mark n.ReadState p.PropertyType) p.Name index
                  ((if p.CanRead && p.GetMethod.IsPublic then "get; " else "") + (if p.CanWrite && p.SetMethod.IsPublic then "set; " else "")))
    | :? FieldInfo as f -> Some (sprintf "%sfield %s %s%s" (if f.IsStatic then "static " else "") (typeName f.FieldType) f.Name (if f.IsLiteral then sprintf " = %O" (f.GetRawConstantValue()) else ""))
    | :? EventInfo as e -> Some (sprintf "event %s %s" (typeName e.EventHandlerType) e.Name)
    | _ -> None

let private typeLine (t: Type) =
    let kind =
        if t.IsEnum then "enum"
        elif t.IsInterface then "interface"
        elif t.IsValueType then "struct"
        elif t.IsAbstract && t.IsSealed then "static class"
        elif t.IsAbstract then "abstract class"
        elif t.IsSealed then "sealed class"
        else "class"
    let bases =
        [ if not (isNull t.BaseType) && t.BaseType <> typeof<obj> && t.BaseType <> typeof<ValueType> && t.BaseType <> typeof<Enum> then typeName t.BaseType
          for i in t.GetInterfaces() |> Array.sortBy typeName do typeName i ]
    sprintf "%s %s%s" kind (typeName t) (if bases.IsEmpty then "" else " : " + String.Join(", ", bases))

/// The listing: every exported type (sorted), each followed by its declared public members (sorted).
let listing (assembly: Assembly) : string list =
    [ for t in assembly.GetExportedTypes() |> Array.sortBy typeName do
          yield typeLine t
          let flags = BindingFlags.Public ||| BindingFlags.Instance ||| BindingFlags.Static ||| BindingFlags.DeclaredOnly
          for line in t.GetMembers(flags) |> Array.choose memberLine |> Array.sort do
              yield "    " + line ]

let committedFile = repoFile "tests/Core.Tests/PublicApi.LogitStd.Core.txt"
let receivedFile = repoFile "tests/Core.Tests/PublicApi.LogitStd.Core.received.txt"

let tests =
    testList "public API" [
        testCase "the library's public API equals the committed listing" <| fun () ->
            let actual = listing typeof<Distillation>.Assembly
            let expected = if File.Exists committedFile then File.ReadAllLines committedFile |> List.ofArray else []
            if actual <> expected then
                File.WriteAllLines(receivedFile, actual)
                let removed = expected |> List.filter (fun l -> not (List.contains l actual))
                let added = actual |> List.filter (fun l -> not (List.contains l expected))
                failtestf "the public API of LogitStd.Core changed (%d lines gone, %d new); the listing is in %s — review it and copy it over %s if the change is meant.\n%s"
                    removed.Length added.Length receivedFile committedFile
                    (String.Join("\n", (removed |> List.truncate 20 |> List.map ((+) "- ")) @ (added |> List.truncate 20 |> List.map ((+) "+ "))))
            elif File.Exists receivedFile then File.Delete receivedFile

        testCase "the listing sees what changes the API (the check itself can fail)" <| fun () ->
            let lines = listing typeof<Distillation>.Assembly
            Expect.contains lines "static class LogitStd.Core.Distillation" "a facade type"
            Expect.isTrue (lines |> List.exists (fun l -> l.Contains "static method LogitStd.Core.LossResult Evaluate(" && l.Contains "Tensor? teacher = default" && l.Contains "Nullable<Int32> epoch = default"))
                "Evaluate: the optional tensors are nullable for C#, the epoch an optional nullable int"
            Expect.isFalse (lines |> List.exists (fun l -> l.Contains "Validate.logitsShape" || l.Contains "kdUnchecked")) "the checks and unchecked kernels are internal"
    ]
