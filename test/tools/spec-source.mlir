// attn-run, attn-blockmap and attn-emit-lib read their specs the same way:
// a file that cannot be read is the tool's own error, a spec that does not
// parse is reported at FILE:LINE:COL with its source line, diagnostics
// emitted after parsing (binding, classification) still point into the
// file, and the exit code is 1.

// RUN: rm -rf %t && split-file %s %t

// RUN: not attn-run %t/missing.mlir --random 1 2>&1 | FileCheck %s --check-prefix=RUN-NOFILE
// RUN: not attn-blockmap %t/missing.mlir --nq 64 -o %t/map.png 2>&1 | FileCheck %s --check-prefix=MAP-NOFILE
// RUN: not attn-emit-lib %t/missing.mlir -o %t/lib 2>&1 | FileCheck %s --check-prefix=EMIT-NOFILE
// RUN-NOFILE: attn-run: error: cannot open input file '{{.*}}missing.mlir': No such file or directory
// MAP-NOFILE: attn-blockmap: error: cannot open input file '{{.*}}missing.mlir': No such file or directory
// EMIT-NOFILE: attn-emit-lib: error: cannot open input file '{{.*}}missing.mlir': No such file or directory

// RUN: not attn-run %t/bad.mlir --random 1 2>&1 | FileCheck %s --check-prefix=PARSE
// RUN: not attn-blockmap %t/bad.mlir --nq 64 -o %t/map.png 2>&1 | FileCheck %s --check-prefix=PARSE
// RUN: not attn-emit-lib %t/bad.mlir -o %t/lib 2>&1 | FileCheck %s --check-prefix=PARSE
// PARSE: bad.mlir:2:8: error: Dialect `bogus' not found for custom op 'bogus.op'
// PARSE-NEXT: %x = bogus.op
// PARSE-NEXT: ^

// RUN: not attn-run %t/unbound.mlir --random 1 2>&1 | FileCheck %s --check-prefix=BIND
// RUN: not attn-emit-lib %t/unbound.mlir -o %t/lib 2>&1 | FileCheck %s --check-prefix=BIND
// BIND: unbound.mlir:1:1: error: argument #3 is not an operand of attn.attention

// Errors about the module as a whole point at its first line: the module
// the parser wraps around the file has no position of its own (FILE:0:0).
// RUN: not attn-run %t/nofunc.mlir --random 1 2>&1 | FileCheck %s --check-prefix=NOFUNC
// RUN: not attn-emit-lib %t/nofunc.mlir -o %t/lib 2>&1 | FileCheck %s --check-prefix=NOFUNC
// RUN: not attn-run - --random 1 < %t/nofunc.mlir 2>&1 | FileCheck %s --check-prefix=NOFUNC-STDIN
// RUN: not attn-run %t/nofunc.mlir --random 1 --entry nope 2>&1 | FileCheck %s --check-prefix=NOENTRY
// RUN: not attn-run %t/empty.mlir --random 1 2>&1 | FileCheck %s --check-prefix=EMPTY
// NOFUNC: {{^}}{{.*}}nofunc.mlir:1:1: error: no function holds an attn.attention
// NOFUNC-NEXT: {{^}}func.func @plain(%x: tensor<4xf32>) -> tensor<4xf32> {
// NOFUNC-NEXT: {{^}}^
// NOFUNC-STDIN: {{^}}<stdin>:1:1: error: no function holds an attn.attention
// NOENTRY: {{^}}{{.*}}nofunc.mlir:1:1: error: no function named 'nope'
// attn-blockmap chooses its function the same way, with the same errors.
// RUN: not attn-blockmap %t/nofunc.mlir --nq 64 -o %t/map.png 2>&1 | FileCheck %s --check-prefix=NOFUNC
// RUN: not attn-blockmap %t/nofunc.mlir --nq 64 --entry nope -o %t/map.png 2>&1 | FileCheck %s --check-prefix=NOENTRY
// RUN: not attn-blockmap %t/two.mlir --nq 64 -o %t/map.png 2>&1 | FileCheck %s --check-prefix=TWO
// RUN: attn-blockmap %t/two.mlir --nq 64 --entry second -o %t/map.png | FileCheck %s --check-prefix=MAP-SECOND
// MAP-SECOND: block map of head 0: nq 64
// EMPTY: {{^}}{{.*}}empty.mlir:1:1: error: no function holds an attn.attention
// A module written in the file keeps its own location.
// RUN: not attn-run %t/module.mlir --random 1 2>&1 | FileCheck %s --check-prefix=MODULE
// MODULE: {{^}}{{.*}}module.mlir:2:1: error: no function holds an attn.attention
// MODULE-NEXT: {{^}}module {
// The second function holding an attn.attention is the one reported.
// RUN: not attn-run %t/two.mlir --random 1 2>&1 | FileCheck %s --check-prefix=TWO
// TWO: {{^}}{{.*}}two.mlir:8:1: error: several functions hold attn.attention; choose one with --entry
// TWO-NEXT: {{^}}func.func @second(

// RUN: not attn-blockmap %t/good.mlir --nq 64 --heads 2 --head 3 -o %t/map.png 2>&1 | FileCheck %s --check-prefix=CLASSIFY
// CLASSIFY: good.mlir:3:8: error: block classification: head 3 is outside [0, 2)
// No dump of the op in generic form after a located diagnostic.
// CLASSIFY-NOT: see current operation

// "-" reads the spec from stdin, in all three tools.
// RUN: attn-run - --random 1 --shape 1,2,2,8,8,4 --check < %t/good.mlir | FileCheck %s --check-prefix=RUN-STDIN
// RUN: attn-blockmap - --nq 256 -o %t/map.png < %t/good.mlir | FileCheck %s --check-prefix=MAP-STDIN
// RUN: attn-emit-lib - --arch sm_80 -o %t/stdin < %t/good.mlir | FileCheck %s --check-prefix=EMIT-STDIN
// RUN-STDIN: spec - @causal
// RUN-STDIN: check output {{.*}} PASS
// MAP-STDIN: block map of head 0: nq 256, nk 256
// EMIT-STDIN: wrote {{.*}}/causal.{h,c,json} and 1 PTX

// attn-emit-lib goes on past specs it cannot read or parse, and exits 1.
// RUN: not attn-emit-lib %t/missing.mlir %t/bad.mlir %t/good.mlir --arch sm_80 -o %t/lib > %t/emit.out 2> %t/emit.err
// RUN: FileCheck %s --check-prefix=EMIT-ERR < %t/emit.err
// RUN: FileCheck %s --check-prefix=EMIT-OUT < %t/emit.out
// EMIT-ERR: attn-emit-lib: error: cannot open input file '{{.*}}missing.mlir': No such file or directory
// EMIT-ERR: bad.mlir:2:8: error: Dialect `bogus' not found
// EMIT-OUT: wrote {{.*}}/causal.{h,c,json} and 1 PTX

//--- bad.mlir
func.func @f(%q: tensor<1xf32>) {
  %x = bogus.op
}

//--- unbound.mlir
func.func @extra(%q: tensor<?x?x?x?xf32>, %k: tensor<?x?x?x?xf32>,
                 %v: tensor<?x?x?x?xf32>, %unused: tensor<4xf32>)
    -> tensor<?x?x?x?xf32> {
  %o = attn.attention %q, %k, %v
       : tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>
         -> tensor<?x?x?x?xf32>
  return %o : tensor<?x?x?x?xf32>
}

//--- nofunc.mlir
func.func @plain(%x: tensor<4xf32>) -> tensor<4xf32> {
  return %x : tensor<4xf32>
}

//--- empty.mlir

//--- module.mlir
// A comment line first.
module {
}

//--- two.mlir
func.func @first(%q: tensor<?x?x?x?xf32>, %k: tensor<?x?x?x?xf32>,
                 %v: tensor<?x?x?x?xf32>) -> tensor<?x?x?x?xf32> {
  %o = attn.attention %q, %k, %v
       : tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>
         -> tensor<?x?x?x?xf32>
  return %o : tensor<?x?x?x?xf32>
}
func.func @second(%q: tensor<?x?x?x?xf32>, %k: tensor<?x?x?x?xf32>,
                  %v: tensor<?x?x?x?xf32>) -> tensor<?x?x?x?xf32> {
  %o = attn.attention %q, %k, %v mask(#attn.causal)
       : tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>
         -> tensor<?x?x?x?xf32>
  return %o : tensor<?x?x?x?xf32>
}

//--- good.mlir
func.func @causal(%q: tensor<?x?x?x?xf32>, %k: tensor<?x?x?x?xf32>,
                  %v: tensor<?x?x?x?xf32>) -> tensor<?x?x?x?xf32> {
  %o = attn.attention %q, %k, %v mask(#attn.causal)
       : tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>, tensor<?x?x?x?xf32>
         -> tensor<?x?x?x?xf32>
  return %o : tensor<?x?x?x?xf32>
}
