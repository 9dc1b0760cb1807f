/* Calls a generated split-KV launcher (buffers, a workspace, the stream)
 * without a GPU: a null workspace is refused before any driver call; with
 * an aligned one the launch fails cleanly at the driver stub's cuInit. */
#include ATTN_HEADER

#include <stdio.h>

#define CAT_(a, b) a##b
#define CAT(a, b) CAT_(a, b)

int main(void) {
  CUresult r = CAT(ATTN_PREFIX, _launch)(0, 0, 0, 0, 0, NULL);
  printf("no workspace: %d: %s\n", (int)r, CAT(ATTN_PREFIX, _last_error)());
  if (r == CUDA_SUCCESS)
    return 1;
  r = CAT(ATTN_PREFIX, _launch)(0, 0, 0, 0, 256, NULL);
  printf("launch returned %d: %s\n", (int)r, CAT(ATTN_PREFIX, _last_error)());
  return r == CUDA_SUCCESS ? 1 : 0;
}
