// Per-sub-block scale searches shared by the K-quant quantizers. Plain
// least squares (unweighted), so the fit targets the RMSE the tests measure.
#include <algorithm>
#include <cmath>

#include "kernels/ref.h"

namespace glint::kernels::ref {

float fit_scale_min(const float* x, int n, int nmax, float* min) {
    float lo = x[0], hi = x[0];
    for (int i = 1; i < n; ++i) {
        lo = std::min(lo, x[i]);
        hi = std::max(hi, x[i]);
    }
    lo = std::min(lo, 0.0f);  // the min is stored unsigned: offsets only go down
    if (!(hi > lo)) {         // constant (or all-NaN) sub-block
        *min = -lo;
        return 0.0f;
    }
    float best_err = INFINITY, best_s = (hi - lo) / float(nmax), best_o = lo;
    // Candidate inverse scales spanning nmax-1 .. nmax+1 levels over the range.
    for (int k = 0; k <= 20; ++k) {
        const float iscale = (float(nmax) - 1.0f + 0.1f * float(k)) / (hi - lo);
        double sl = 0, sl2 = 0, sx = 0, slx = 0;
        int q[256];
        for (int i = 0; i < n; ++i) {
            q[i] = std::clamp(nearest_int(iscale * (x[i] - lo)), 0, nmax);
            sl += q[i];
            sl2 += double(q[i]) * q[i];
            sx += x[i];
            slx += double(q[i]) * x[i];
        }
        // Least-squares x ~ s*q + o, with o clamped to <= 0.
        const double det = n * sl2 - sl * sl;
        if (det <= 0) continue;
        double s = (n * slx - sl * sx) / det;
        double o = (sl2 * sx - sl * slx) / det;
        if (o > 0) {
            o = 0;
            s = slx / sl2;
        }
        if (s <= 0) continue;
        double err = 0;
        for (int i = 0; i < n; ++i) {
            const double e = s * q[i] + o - x[i];
            err += e * e;
        }
        if (err < best_err) {
            best_err = float(err);
            best_s = float(s);
            best_o = float(o);
        }
    }
    *min = -best_o;
    return best_s;
}

float fit_scale_sym(const float* x, int n, int nmax) {
    float amax = 0.0f, max = 0.0f;
    for (int i = 0; i < n; ++i) {
        if (std::fabs(x[i]) > amax) {
            amax = std::fabs(x[i]);
            max = x[i];
        }
    }
    if (!(amax > 1e-30f)) return 0.0f;
    double best_gain = -1.0, best_s = double(max) / -nmax;
    // Error of the best s for fixed q is sum(x^2) - slx^2/sl2: maximise the gain.
    for (int k = -9; k <= 9; ++k) {
        const float iscale = -(float(nmax) + 0.1f * float(k)) / max;
        double sl2 = 0, slx = 0;
        for (int i = 0; i < n; ++i) {
            const int q = std::clamp(nearest_int(iscale * x[i]), -nmax, nmax - 1);
            sl2 += double(q) * q;
            slx += double(q) * x[i];
        }
        if (sl2 <= 0) continue;
        const double gain = slx * slx / sl2;
        if (gain > best_gain) {
            best_gain = gain;
            best_s = slx / sl2;
        }
    }
    return float(best_s);
}

}  // namespace glint::kernels::ref
