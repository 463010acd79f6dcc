/* Minimal embedding of glint in C: load a model, generate greedily, print. */
#include <stdio.h>
#include <string.h>

#include <glint.h>

static int die(const char* what) {
    fprintf(stderr, "%s: %s\n", what, glint_last_error());
    return 1;
}

int main(int argc, char** argv) {
    const char* path = argc > 1 ? argv[1] : "stories260K.gguf";
    const char* prompt = argc > 2 ? argv[2] : "Once upon a time";

    glint_model* model = NULL;
    if (glint_model_load(path, NULL, &model) != GLINT_OK) return die("load");

    glint_context_params cp = glint_context_default_params();
    cp.n_ctx = 256;
    glint_context* ctx = NULL;
    if (glint_context_create(model, &cp, &ctx) != GLINT_OK) return die("context");

    glint_sampler_params sp = glint_sampler_default_params();
    sp.temp = 0.0f; /* greedy: the same text every run */
    glint_sampler* smp = NULL;
    if (glint_sampler_create(model, &sp, &smp) != GLINT_OK) return die("sampler");

    int32_t tokens[256];
    int32_t n = 0;
    if (glint_tokenize(model, prompt, -1, 1, 0, tokens, 256, &n) != GLINT_OK) return die("tokenize");

    int32_t next = 0, pos = 0;
    if (glint_decode_sequence(ctx, 0, tokens, n, pos, &next, smp) != GLINT_OK) return die("decode");
    pos += n;
    fputs(prompt, stdout);
    for (int i = 0; i < 32 && !glint_token_is_eog(model, next); ++i) {
        char piece[64];
        int32_t len = 0;
        if (glint_token_to_piece(model, next, piece, sizeof piece, &len) != GLINT_OK) return die("piece");
        fwrite(piece, 1, (size_t)len, stdout);
        int32_t tok = next;
        if (glint_decode_sequence(ctx, 0, &tok, 1, pos++, &next, smp) != GLINT_OK) return die("decode");
    }
    putchar('\n');

    glint_sampler_free(smp);
    glint_context_free(ctx);
    glint_model_free(model);
    return 0;
}
