#!/usr/bin/env python3
"""Sanity check of the converted models on real LFW images (deep-funneled, 250x250, face ~centred).

Usage: check_lfw.py MODEL_DIR IMAGE [IMAGE ...]
Prints BlazeFace box/keypoints (anchor decoding as documented in README.md), FaceMesh key points on
the x1.5 box crop, and MobileFaceNet cosine similarities between all image pairs.
"""
import sys

import numpy as np
import onnxruntime as ort
from PIL import Image

from convert import MESH_POINTS


def sess(path):
    so = ort.SessionOptions()
    so.intra_op_num_threads = 1
    return ort.InferenceSession(path, so, providers=["CPUExecutionProvider"])


def anchors_128():
    a = []
    for stride, per_cell in ((8, 2), (16, 6)):
        n = 128 // stride
        for y in range(n):
            for x in range(n):
                a += [((x + 0.5) * stride, (y + 0.5) * stride)] * per_cell
    return np.array(a, np.float32)  # [896, 2] in 128-px input units


def blazeface(s, img):
    """img: PIL RGB. Returns score, box (x1,y1,x2,y2) and 6 keypoints in image pixels."""
    W, H = img.size
    x = np.asarray(img.resize((128, 128), Image.BILINEAR), np.float32)[None] / 127.5 - 1.0
    cls, reg = s.run(["classificators", "regressors"], {"input": x})
    score = 1 / (1 + np.exp(-cls[0, :, 0]))
    i = int(np.argmax(score))
    anc = anchors_128()[i]
    r = reg[0, i]
    cx, cy, w, h = r[0] + anc[0], r[1] + anc[1], r[2], r[3]
    kp = r[4:].reshape(6, 2) + anc
    sx, sy = W / 128.0, H / 128.0
    box = np.array([(cx - w / 2) * sx, (cy - h / 2) * sy, (cx + w / 2) * sx, (cy + h / 2) * sy])
    return float(score[i]), i, box, kp * [sx, sy]


def facemesh(s, img, box, scale=1.5):
    cx, cy = (box[0] + box[2]) / 2, (box[1] + box[3]) / 2
    side = max(box[2] - box[0], box[3] - box[1]) * scale
    x0, y0 = cx - side / 2, cy - side / 2
    crop = img.crop((int(round(x0)), int(round(y0)), int(round(x0 + side)), int(round(y0 + side))))
    x = np.asarray(crop.resize((192, 192), Image.BILINEAR), np.float32)[None] / 255.0
    mesh, flag = s.run(["mesh", "faceflag"], {"input": x})
    pts = mesh[0].reshape(len(MESH_POINTS), 3)
    img_pts = pts[:, :2] * (side / 192.0) + [x0, y0]
    # by MediaPipe number: facemesh.onnx makes only the points facegate reads
    return float(flag[0, 0]), pts, dict(zip(MESH_POINTS, img_pts))


ARCFACE = np.array([(38.2946, 51.6963), (73.5318, 51.5014), (56.0252, 71.7366),
                    (41.5493, 92.3655), (70.7299, 92.2041)], np.float32)


def similarity(src, dst):
    """Least-squares similarity transform src->dst (Umeyama), returns 2x3."""
    mu_s, mu_d = src.mean(0), dst.mean(0)
    s, d = src - mu_s, dst - mu_d
    cov = d.T @ s / len(src)
    U, S, Vt = np.linalg.svd(cov)
    D = np.diag([1, np.sign(np.linalg.det(U @ Vt))])
    R = U @ D @ Vt
    c = np.trace(np.diag(S) @ D) / (s ** 2).sum() * len(src)
    t = mu_d - c * R @ mu_s
    return np.hstack([c * R, t[:, None]])


def align112(img, five):
    M = similarity(five, ARCFACE)
    A = np.vstack([M, [0, 0, 1]])
    inv = np.linalg.inv(A)[:2]
    return img.transform((112, 112), Image.AFFINE, tuple(inv.flatten()), Image.BILINEAR)


def main():
    d = sys.argv[1]
    images = sys.argv[2:]
    bf, fm, mfn = (sess(f"{d}/{n}.onnx") for n in ("blazeface-front", "facemesh", "mobilefacenet"))
    embs = []
    for p in images:
        img = Image.open(p).convert("RGB")
        sc, idx, box, kp = blazeface(bf, img)
        print(p)
        head = "512-head (stride 8)" if idx < 512 else "384-head (stride 16)"
        print(f"  blazeface: score {sc:.3f} anchor {idx} [{head}] box {np.round(box, 1).tolist()}")
        names = ["eye(img-left)", "eye(img-right)", "nose", "mouth", "ear(img-left)", "ear(img-right)"]
        print("  keypoints: " + ", ".join(f"{n} {np.round(k, 1).tolist()}" for n, k in zip(names, kp)))
        flag, pts, ip = facemesh(fm, img, box)
        print(f"  facemesh faceflag {flag:.4f}; raw z range [{pts[:, 2].min():.1f}, {pts[:, 2].max():.1f}]")
        for n, ids in [("img-left eye 33,133", [33, 133]), ("img-right eye 362,263", [362, 263]),
                       ("nose 1", [1]), ("mouth corners 61,291", [61, 291])]:
            print(f"    {n}: " + " ".join(str(np.round(ip[i], 1).tolist()) for i in ids))
        five = np.array([(ip[33] + ip[133]) / 2, (ip[362] + ip[263]) / 2, ip[1], ip[61], ip[291]], np.float32)
        chip = align112(img, five)
        x = (np.asarray(chip, np.float32)[None] - 127.5) / 128.0
        e = mfn.run(["embedding"], {"input": x})[0][0]
        embs.append(e / np.linalg.norm(e))
    if len(embs) > 1:
        E = np.array(embs)
        print("MobileFaceNet cosine matrix (FaceMesh 5-point ArcFace alignment):")
        print(np.round(E @ E.T, 3))


if __name__ == "__main__":
    main()
