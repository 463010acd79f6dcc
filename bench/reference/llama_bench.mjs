// llama.cpp's prompt and generation speed on a GGUF file, measured the way
// `glint bench` measures glint: seeded random prompt tokens in one decode (ppN),
// then N tokens decoded one at a time, each the argmax of the last logits (tgN);
// one warm-up run, then mean and standard deviation of the timed runs.
//   node llama_bench.mjs -m model.gguf [-p 128,512] [-n 128] [-t 2] [-r 3]
import {getLlama} from "node-llama-cpp";

const opt = {m: "", p: "512", n: "128", t: "2", r: "3"};
const argv = process.argv.slice(2);
for (let i = 0; i < argv.length; i += 2) {
    const k = argv[i].replace(/^-+/, "");
    if (!(k in opt) || i + 1 >= argv.length) {
        console.error(`usage: node llama_bench.mjs -m model.gguf [-p N,...] [-n N,...] [-t N] [-r N] (bad: ${argv[i]})`);
        process.exit(2);
    }
    opt[k] = argv[i + 1];
}
if (!opt.m) {
    console.error("llama_bench.mjs: -m model.gguf is required");
    process.exit(2);
}
const list = (s) => s.split(",").map(Number).filter((v) => v > 0);
const threads = Number(opt.t), reps = Number(opt.r);

const llama = await getLlama({gpu: false, build: "never", logLevel: "error"});
const model = await llama.loadModel({modelPath: opt.m});
const nVocab = model.fileInfo.metadata.tokenizer?.ggml?.tokens?.length ?? 32000;
const ctx = await model.createContext({contextSize: 2048, threads, batchSize: 512, sequences: 1, flashAttention: false});

let seed = 1234;
const nextToken = () => (seed = (seed * 1103515245 + 12345) % 2147483648) % nVocab;
const stats = (v) => {
    const mean = v.reduce((a, b) => a + b, 0) / v.length;
    const sd = v.length > 1 ? Math.sqrt(v.reduce((a, b) => a + (b - mean) ** 2, 0) / (v.length - 1)) : 0;
    return `${mean.toFixed(2)} ± ${sd.toFixed(2)}`;
};

async function timed(nPrompt, nGen) {
    const seq = ctx.getSequence();
    const prompt = Array.from({length: Math.max(1, nPrompt)}, nextToken);
    const t0 = performance.now();
    if (nGen === 0) {
        await seq.evaluateWithoutGeneratingNewTokens(prompt);
    } else {
        if (prompt.length > 1) await seq.evaluateWithoutGeneratingNewTokens(prompt.slice(0, -1));
        let n = 0;
        const t1 = performance.now();
        for await (const _ of seq.evaluate(prompt.slice(-1), {temperature: 0})) if (++n >= nGen) break;
        seq.dispose();
        return nGen / ((performance.now() - t1) / 1000);
    }
    seq.dispose();
    return nPrompt / ((performance.now() - t0) / 1000);
}

console.log(`llama.cpp ${llama.llamaCppRelease?.release ?? ""} via node-llama-cpp, ${threads} threads, ${model.typeDescription}`);
console.log("| test | t/s | runs |\n| --- | ---: | --- |");
for (const [np, ng] of [...list(opt.p).map((p) => [p, 0]), ...list(opt.n).map((n) => [1, n])]) {
    const runs = [];
    for (let r = 0; r <= reps; ++r) {
        const v = await timed(np, ng);
        if (r > 0) runs.push(v);
    }
    console.log(`| ${ng ? "tg" + ng : "pp" + np} | ${stats(runs)} | ${runs.map((v) => v.toFixed(2)).join(" ")} |`);
}
await ctx.dispose();
await model.dispose();
