// SPDX-License-Identifier: GPL-2.0-only
/*
 * Kernels of the real-GPU suite, built into a fat binary that gpu_check
 * loads with cuModuleLoad (tests/gpu/run.sh).
 *
 * work(iters, out): fixed work, a counted loop (not a clock wait): each
 * thread runs @iters dependent multiply-adds, so a launch of the same grid
 * is the same amount of work whoever runs it and whatever the clock does.
 * The result is stored only if it is impossible, so that the loop cannot
 * be dropped.  (The simulated GPU reads the first parameter as the
 * kernel's duration in nanoseconds: the same launches run there.)
 *
 * empty(): nothing, for the cost of a launch.
 */
extern "C" __global__ void work(unsigned long long iters, float *out)
{
	float x = (float)threadIdx.x * 1e-3f;
	const float y = 0.999f;

	for (unsigned long long i = 0; i < iters; i++)
		x = fmaf(x, y, 1e-3f);
	if (x == -1.0f)
		out[blockIdx.x] = x;
}

extern "C" __global__ void empty(void)
{
}
