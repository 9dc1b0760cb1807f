attn_unittest(OperandRolesTest OperandRolesTest.cpp LIBS AttnRunner AttnReference AttnDialect AttnSupport MLIR LLVM)
