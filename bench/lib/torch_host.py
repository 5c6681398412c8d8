#!/usr/bin/env python3
"""Native PyTorch as a training contender of the bench, driven by bench/lib/contenders/torch.mjs.

    python3 torch_host.py <threads> <default|channels-last>

One JSON object per line on stdin, one answer per line on stdout ({"ok": true, ...} or
{"ok": false, "error": "..."}). The network is the preset's layer list in PyTorch's own modules
(NCHW, or channels-last memory format), trained as a PyTorch user would: Adam (lr 1e-3, as the
other contenders), cross-entropy on the logits, `zero_grad` / `backward` / `step` per batch.
Timing happens in here, so the pipe costs nothing measured. Weights start from PyTorch's own
initialisation: training speed does not depend on their values.
"""
import json
import sys
import time

try:
    import numpy as np
    import torch
    from torch import nn
except ImportError as e:  # reported by init, so the bench says why the column is empty
    IMPORT_ERROR = f'{e} (Debian: apt-get install python3-torch)'
else:
    IMPORT_ERROR = None

THREADS = int(sys.argv[1])
LAYOUT = sys.argv[2]
state = {}


def build(layers, channels, side):
    """nn.Sequential for garment-wasm's layer specs (src/model/spec.ts)."""
    mods, c, h, flat = [], channels, side, None
    for spec in layers:
        t = spec['type']
        if t == 'conv':
            k = spec['kernel']
            pad = k // 2 if spec.get('padding', 'same') == 'same' else 0
            mods.append(nn.Conv2d(c, spec['filters'], k, padding=pad, bias=spec.get('bias', True) is not False))
            c, h = spec['filters'], h + 2 * pad - k + 1
        elif t == 'relu':
            mods.append(nn.ReLU())
        elif t == 'maxpool':
            mods.append(nn.MaxPool2d(2))
            h //= 2
        elif t == 'batchnorm':
            bn = nn.BatchNorm2d if flat is None else nn.BatchNorm1d
            mods.append(bn(c if flat is None else flat, eps=spec.get('epsilon', 1e-5), momentum=spec.get('momentum', 0.1)))
        elif t == 'dropout':
            mods.append(nn.Dropout(spec['rate']))
        elif t == 'flatten':
            mods.append(nn.Flatten())
            flat = c * h * h
        elif t == 'dense':
            if flat is None:
                mods.append(nn.Flatten())
                flat = c * h * h
            mods.append(nn.Linear(flat, spec['units'], bias=spec.get('bias', True) is not False))
            flat = spec['units']
        elif t == 'gap':
            mods += [nn.AdaptiveAvgPool2d(1), nn.Flatten()]
            flat = c
        else:
            raise ValueError(f'no PyTorch mapping for layer type {t}')
    return nn.Sequential(*mods)


def init(_msg):
    if IMPORT_ERROR:
        raise RuntimeError(f'PyTorch is not available: {IMPORT_ERROR}')
    torch.set_num_threads(THREADS)
    torch.set_num_interop_threads(1)
    return {'versions': {'torch': torch.__version__}}


def setup(msg):
    state.clear()
    if msg['mode'] != 'train':
        return {'unsupported': 'PyTorch is timed for training only (the inference peers are onnxruntime and TF.js)'}
    torch.manual_seed(0)
    model = build(msg['layers'], 1, 28)
    batch, count = msg['batch'], msg['count']
    pixels = np.fromfile(msg['images'], dtype=np.uint8, count=count * 784)
    labels = np.fromfile(msg['labels'], dtype=np.uint8, count=count)
    # A few different batches, converted once (conversion is not what is measured).
    ring = max(1, min(4, count // batch))
    xs, ys = [], []
    for r in range(ring):
        x = torch.from_numpy(pixels[r * batch * 784:(r + 1) * batch * 784].astype(np.float32))
        x = (x * msg['scale'] + msg['shift']).reshape(batch, 1, 28, 28)
        if LAYOUT == 'channels-last':
            x = x.contiguous(memory_format=torch.channels_last)
        xs.append(x)
        ys.append(torch.from_numpy(labels[r * batch:(r + 1) * batch].astype(np.int64)))
    if LAYOUT == 'channels-last':
        model = model.to(memory_format=torch.channels_last)
    model.train()
    state.update(model=model, xs=xs, ys=ys, i=0, loss=nn.CrossEntropyLoss(),
                 opt=torch.optim.Adam(model.parameters(), lr=1e-3))
    step(1)  # first-call work (oneDNN primitive creation) is not measured
    return {}


def step(steps):
    s = state
    for _ in range(steps):
        r = s['i'] % len(s['xs'])
        s['i'] += 1
        s['opt'].zero_grad(set_to_none=True)
        loss = s['loss'](s['model'](s['xs'][r]), s['ys'][r])
        loss.backward()
        s['opt'].step()


def run(msg):
    w0, c0 = time.perf_counter(), time.process_time()
    step(msg['steps'])
    return {'seconds': time.perf_counter() - w0, 'cpuSeconds': time.process_time() - c0}


def teardown(_msg):
    state.clear()
    return {}


HANDLERS = {'init': init, 'setup': setup, 'run': run, 'teardown': teardown}

for line in sys.stdin:
    msg = json.loads(line)
    try:
        out = {'ok': True, 'result': HANDLERS[msg['cmd']](msg)}
    except Exception as e:  # noqa: BLE001 - every failure goes back to the bench as text
        out = {'ok': False, 'error': f'{type(e).__name__}: {e}'}
    sys.stdout.write(json.dumps(out) + '\n')
    sys.stdout.flush()
