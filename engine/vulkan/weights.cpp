#include "engine/vulkan/weights.h"

#include "kernels/log.h"

namespace glint::vk {

std::shared_ptr<ModelWeights> upload_model(const Model& model, int32_t first_layer) {
    const HParams& hp = model.hparams();
    if (first_layer < 0 || first_layer >= hp.n_layer)
        throw Error(ErrorCode::InvalidArgument, "vulkan: first offloaded layer out of range");
    auto w = std::make_shared<ModelWeights>();
    w->dev = Device::create();
    w->first_layer = first_layer;
    auto up = [&](const Weight& src) {
        if (!src) return GpuWeight{};
        GpuWeight g = upload_weight(*w->dev, src);
        w->bytes += uint64_t(src.rows) * src.row_stride;
        return g;
    };
    for (int32_t il = first_layer; il < hp.n_layer; ++il) {
        const LayerWeights& L = model.layers()[size_t(il)];
        GpuLayer g;
        g.attn_norm = up(L.attn_norm);
        g.wq = up(L.wq);
        g.wk = up(L.wk);
        g.wv = up(L.wv);
        g.wo = up(L.wo);
        g.bq = up(L.bq);
        g.bk = up(L.bk);
        g.bv = up(L.bv);
        g.ffn_norm = up(L.ffn_norm);
        g.w_gate = up(L.w_gate);
        g.w_up = up(L.w_up);
        g.w_down = up(L.w_down);
        w->layers.push_back(std::move(g));
    }
    if (first_layer == 0) {
        w->head = true;
        w->tok_embd = up(model.tok_embd());
        w->output_norm = up(model.output_norm());
        if (model.output().data == model.tok_embd().data) {
            w->output = &w->tok_embd;
        } else {
            w->output_own = up(model.output());
            w->output = &w->output_own;
        }
    }
    log(LogLevel::Info, "vulkan: " + std::to_string(hp.n_layer - first_layer) + " of " + std::to_string(hp.n_layer) +
                            " layers" + (w->head ? " and the output head" : "") + " on " + w->dev->name() + " (" +
                            std::to_string((w->bytes + (1u << 20) - 1) >> 20) + " MiB of weights)");
    return w;
}

std::string device_name(const ModelWeights& w) { return w.dev->name(); }

}  // namespace glint::vk
