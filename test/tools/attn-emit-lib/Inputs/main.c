/* Calls a generated launcher without a GPU: linked against the CUDA driver
 * stub (which answers CUDA_ERROR_STUB_LIBRARY to every call, as a machine
 * without a driver would answer an error), the launch must fail cleanly
 * with a message naming the failing driver call. A value pointer that is
 * not 16-byte aligned is refused before any driver call (the kernel copies
 * V with 16-byte cp.async). */
#include ATTN_HEADER

#include <stdio.h>

#define CAT_(a, b) a##b
#define CAT(a, b) CAT_(a, b)

int main(void) {
  CUresult r = CAT(ATTN_PREFIX, _launch)(0, 0, 0, 0, NULL);
  printf("launch returned %d: %s\n", (int)r, CAT(ATTN_PREFIX, _last_error)());
  if (r == CUDA_SUCCESS)
    return 1;
  r = CAT(ATTN_PREFIX, _launch)(0, 0, 4, 0, NULL);
  printf("misaligned launch returned %d: %s\n", (int)r,
         CAT(ATTN_PREFIX, _last_error)());
  return r == CUDA_SUCCESS ? 1 : 0;
}
