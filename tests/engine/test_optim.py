"""Optimizers and learning-rate schedules of `tinyspore.nn` (nn/optim.py).

Most expected numbers come from real MindSpore 2.10 on CPU (/opt/msenv/bin/python, the script is
reproduced in the comment above MINDSPORE_AFTER_4_STEPS); the SGD, Momentum, Adam and RMSProp
rules are also re-derived here in float64 NumPy from their textbook statements.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

import tinyspore as ms
from tinyspore import Parameter, Tensor, nn, ops

# ----- the fixed problem: two parameters, four gradient steps ---------------------------------------
P0 = np.array([1.0, -2.0, 3.0], np.float32)
Q0 = np.array([[0.5, -0.25], [1.5, 2.0]], np.float32)
GP = [np.array(g, np.float32) for g in
      ([0.1, 0.2, -0.3], [0.5, -0.1, 0.2], [-0.2, 0.3, 0.1], [0.05, -0.4, 0.25])]
GQ = [np.array(g, np.float32) for g in
      ([[0.3, -0.1], [0.0, 0.2]], [[-0.2, 0.4], [0.1, -0.3]], [[0.1, 0.1], [-0.5, 0.2]], [[0.0, -0.2], [0.3, 0.1]])]


def make_params(pname: str = "p", qname: str = "q") -> tuple[Parameter, Parameter]:
    return Parameter(Tensor(P0), name=pname), Parameter(Tensor(Q0), name=qname)


def run_steps(opt: nn.Optimizer, p: Parameter, q: Parameter, steps: int = 4) -> None:
    """Feed GP/GQ to `opt`, each gradient placed at its parameter's position in opt.parameters."""
    for i in range(steps):
        by_id = {id(p): GP[i], id(q): GQ[i]}
        opt(tuple(Tensor(by_id[id(x)]) for x in opt.parameters))


# MindSpore 2.10 (CPU) numbers, from this script run on /opt/msenv/bin/python:
#     p = Parameter(Tensor(P0), name=pname); q = Parameter(Tensor(Q0), name=qname)
#     opt = <factory>([p, q])            # or <factory>(<groups>(p, q))
#     for i in range(4): opt(tuple(Tensor({p: GP[i], q: GQ[i]}[x]) for x in opt.parameters))
#     print(p.asnumpy(), q.asnumpy().ravel())
# Each case: (factory, groups or None, qname, p after 4 steps, q after 4 steps flattened).
def _groups_lr_wd(p, q):
    return [{"params": [p], "lr": 0.5}, {"params": [q], "weight_decay": 0.05}]


def _groups_gamma_wd(p, q):
    return [{"params": [p]}, {"params": [q], "weight_decay": 0.05}]


def _groups_plain(p, q):
    return [{"params": [p]}, {"params": [q]}]


def _groups_lr_list(p, q):
    return [{"params": [p], "lr": [0.1, 0.2, 0.3, 0.4]}, {"params": [q]}]


def _groups_ordered(p, q):
    return [{"params": [q], "lr": 0.2}, {"params": [p]}, {"order_params": [p, q]}]


MINDSPORE_AFTER_4_STEPS = {
    "SGD()": (
        lambda ps: nn.SGD(ps), None, "q",
        [0.955, -2., 2.975], [0.48000002, -0.26999998, 1.51, 1.98]),
    "SGD(momentum=0.9)": (
        lambda ps: nn.SGD(ps, 0.1, momentum=0.9), None, "q",
        [0.86311, -2.0586798, 3.0049698], [0.43203, -0.32301, 1.5379, 1.96452]),
    "SGD(momentum=0.9, dampening=0.3)": (
        lambda ps: nn.SGD(ps, 0.1, momentum=0.9, dampening=0.3), None, "q",
        [0.89386, -2.06171, 3.03443], [0.42147, -0.29079002, 1.52653, 1.9545301]),
    "SGD(momentum=0.0, dampening=0.3) ignores dampening": (
        lambda ps: nn.SGD(ps, 0.1, momentum=0.0, dampening=0.3), None, "q",
        [0.955, -2., 2.975], [0.48000002, -0.26999998, 1.51, 1.98]),
    "SGD(momentum=0.9, nesterov=True)": (
        lambda ps: nn.SGD(ps, 0.1, momentum=0.9, nesterov=True), None, "q",
        [0.83179903, -2.052812, 2.9794729], [0.418827, -0.335709, 1.54411, 1.948068]),
    "SGD(momentum=0.9, weight_decay=0.05)": (
        lambda ps: nn.SGD(ps, 0.1, momentum=0.9, weight_decay=0.05), None, "q",
        [0.8195088, -1.9680195, 2.869349], [0.41060066, -0.31142607, 1.4704896, 1.8751508]),
    "SGD(weight_decay=0.05), q named bn.gamma: no decay on q": (
        lambda ps: nn.SGD(ps, 0.1, weight_decay=0.05), None, "bn.gamma",
        [0.9356975, -1.9599502, 2.9152503], [0.48000002, -0.26999998, 1.51, 1.98]),
    "SGD(weight_decay=0.05), q named beta_x: no decay on q": (
        lambda ps: nn.SGD(ps, 0.1, weight_decay=0.05), None, "beta_x",
        [0.9356975, -1.9599502, 2.9152503], [0.48000002, -0.26999998, 1.51, 1.98]),
    "SGD(momentum=0.9, loss_scale=8.0)": (
        lambda ps: nn.SGD(ps, 0.1, momentum=0.9, loss_scale=8.0), None, "q",
        [0.9828887, -2.0073352, 3.0006213], [0.49150378, -0.25912625, 1.5047375, 1.9955649]),
    "SGD(weight_decay=0.05, loss_scale=8.0)": (
        lambda ps: nn.SGD(ps, 0.1, weight_decay=0.05, loss_scale=8.0), None, "q",
        [0.974593, -1.9602554, 2.9372988], [0.48761204, -0.24749991, 1.4714553, 1.9578112]),
    "SGD(lr=[0.1, 0.2, 0.3, 0.05])": (
        lambda ps: nn.SGD(ps, [0.1, 0.2, 0.3, 0.05]), None, "q",
        [0.9475, -2.07, 2.9475], [0.48, -0.34, 1.615, 1.975]),
    "SGD(lr=ExponentialDecayLR(0.1, 0.5, 2))": (
        lambda ps: nn.SGD(ps, nn.ExponentialDecayLR(0.1, 0.5, 2)), None, "q",
        [0.9628769, -2.013787, 3.002019], [0.47914213, -0.26621318, 1.5073223, 1.9876778]),
    "SGD(lr=ExponentialDecayLR(0.1, 0.5, 2, is_stair=True))": (
        lambda ps: nn.SGD(ps, nn.ExponentialDecayLR(0.1, 0.5, 2, True)), None, "q",
        [0.9475, -2.005, 2.9924998], [0.485, -0.275, 1.5, 1.995]),
    "SGD(lr=CosineDecayLR(0.01, 0.1, 3))": (
        lambda ps: nn.SGD(ps, nn.CosineDecayLR(0.01, 0.1, 3)), None, "q",
        [0.95725, -2.018, 3.00875], [0.48225, -0.27225, 1.5055, 1.9957501]),
    "SGD(lr=PolynomialDecayLR(0.1, 0.01, 3, 2.0))": (
        lambda ps: nn.SGD(ps, nn.PolynomialDecayLR(0.1, 0.01, 3, 2.0)), None, "q",
        [0.9685, -2.017, 3.0154998], [0.478, -0.26, 1.502, 1.99]),
    "SGD groups [{p, lr 0.5}, {q, weight_decay 0.05}]": (
        lambda g: nn.SGD(g, 0.1), _groups_lr_wd, "q",
        [0.77500004, -2., 2.8750002], [0.470373, -0.2647376, 1.4800739, 1.9403982]),
    "SGD groups: a group's weight_decay applies even to 'gamma'": (
        lambda g: nn.SGD(g, 0.1), _groups_gamma_wd, "gamma",
        [0.955, -2., 2.975], [0.470373, -0.2647376, 1.4800739, 1.9403982]),
    "SGD groups: the default weight_decay applies even to 'gamma'": (
        lambda g: nn.SGD(g, 0.1, weight_decay=0.05), _groups_plain, "gamma",
        [0.9356975, -1.9599502, 2.9152503], [0.470373, -0.2647376, 1.4800739, 1.9403982]),
    "SGD groups [{p, lr list}, {q}]": (
        lambda g: nn.SGD(g, 0.1), _groups_lr_list, "q",
        [0.93, -1.93, 2.8600001], [0.48000002, -0.26999998, 1.51, 1.98]),
    "SGD groups with order_params, momentum 0.9": (
        lambda g: nn.SGD(g, 0.1, momentum=0.9), _groups_ordered, "q",
        [0.86311, -2.0586798, 3.0049698], [0.36405998, -0.39602, 1.5758001, 1.9290402]),
    "Momentum(0.1, 0.9)": (
        lambda ps: nn.Momentum(ps, 0.1, 0.9), None, "q",
        [0.86311, -2.0586798, 3.0049698], [0.43203, -0.32301, 1.5379, 1.96452]),
    "Momentum(0.1, 0.9, weight_decay=0.05, loss_scale=4.0)": (
        lambda ps: nn.Momentum(ps, 0.1, 0.9, weight_decay=0.05, loss_scale=4.0), None, "q",
        [0.9212022, -1.9246546, 2.8663123], [0.46081266, -0.25693774, 1.4421097, 1.9014375]),
    "Momentum(0.1, 1.5): momentum above 1 is accepted": (
        lambda ps: nn.Momentum(ps, 0.1, 1.5), None, "q",
        [0.72625005, -2.1499999, 3.0987499], [0.32625, -0.36375, 1.5475, 1.9200001]),
    "Adam(lr=0.1)": (
        lambda ps: nn.Adam(ps, 0.1), None, "q",
        [0.7384806, -2.1832445, 3.0715122], [0.33488375, -0.28054062, 1.4837333, 1.8854468]),
    "Adam(lr=0.1, beta1=0.8, beta2=0.99, eps=1e-3)": (
        lambda ps: nn.Adam(ps, 0.1, beta1=0.8, beta2=0.99, eps=1e-3), None, "q",
        [0.7564049, -2.1649103, 3.0477774], [0.35156327, -0.28867838, 1.4898627, 1.8929944]),
    "Adam(lr=0.1, use_nesterov=True)": (
        lambda ps: nn.Adam(ps, 0.1, use_nesterov=True), None, "q",
        [0.60971165, -2.2404077, 3.0736697], [0.2756006, -0.23994538, 1.4441084, 1.814115]),
    "Adam(lr=0.1, weight_decay=0.05)": (
        lambda ps: nn.Adam(ps, 0.1, weight_decay=0.05), None, "q",
        [0.71272105, -2.0407062, 2.9182446], [0.3093121, -0.269775, 1.3184357, 1.7798336]),
    "Adam(lr=0.1, loss_scale=1024.0)": (
        lambda ps: nn.Adam(ps, 0.1, loss_scale=1024.0), None, "q",
        [0.7389021, -2.1829937, 3.0714235], [0.33504826, -0.2807636, 1.483937, 1.8856165]),
    "Adam(lr=[0.1, 0.05, 0.02, 0.01])": (
        lambda ps: nn.Adam(ps, [0.1, 0.05, 0.02, 0.01]), None, "q",
        [0.84554446, -2.125331, 3.1022997], [0.3849226, -0.1911438, 1.4737446, 1.9070266]),
    "AdamWeightDecay(lr=0.1)": (
        lambda ps: nn.AdamWeightDecay(ps, 0.1), None, "q",
        [-0.073405325, -2.706165, 3.1470668], [-0.13959864, -0.54943335, 1.4750266, 1.5821131]),
    "AdamWeightDecay(lr=0.1, weight_decay=0.05)": (
        lambda ps: nn.AdamWeightDecay(ps, 0.1, weight_decay=0.05), None, "q",
        [-0.083931886, -2.659044, 3.08234], [-0.14350276, -0.5454044, 1.447133, 1.5464342]),
    "AdamWeightDecay(lr=0.1, weight_decay=0.05), q named gamma": (
        lambda ps: nn.AdamWeightDecay(ps, 0.1, weight_decay=0.05), None, "gamma",
        [-0.083931886, -2.659044, 3.08234], [-0.13959864, -0.54943335, 1.4750266, 1.5821131]),
    "RMSProp(lr=0.1)": (
        lambda ps: nn.RMSProp(ps, 0.1), None, "q",
        [0.9517151, -1.9964116, 2.9673169], [0.47897446, -0.2706881, 1.5102856, 1.9766514]),
    "RMSProp(lr=0.1, decay=0.8, momentum=0.5, epsilon=1e-6)": (
        lambda ps: nn.RMSProp(ps, 0.1, decay=0.8, momentum=0.5, epsilon=1e-6), None, "q",
        [0.9064333, -2.0225205, 2.9608495], [0.46024343, -0.30462155, 1.5342497, 1.9666613]),
    "RMSProp(lr=0.1, centered=True)": (
        lambda ps: nn.RMSProp(ps, 0.1, centered=True), None, "q",
        [0.95161146, -1.9964471, 2.9673135], [0.4789574, -0.27072066, 1.510348, 1.9766455]),
    "RMSProp(lr=0.1, momentum=0.9, centered=True)": (
        lambda ps: nn.RMSProp(ps, 0.1, momentum=0.9, centered=True), None, "q",
        [0.85291576, -2.0601869, 2.9959202], [0.42943677, -0.33072302, 1.5432088, 1.9610314]),
    "RMSProp(lr=0.1, epsilon=0.5): epsilon inside the square root": (
        lambda ps: nn.RMSProp(ps, 0.1, epsilon=0.5), None, "q",
        [0.96153426, -1.9983131, 2.9758203], [0.48314336, -0.2667848, 1.5083809, 1.9820364]),
    "RMSProp(lr=0.1, epsilon=0.5, centered=True)": (
        lambda ps: nn.RMSProp(ps, 0.1, epsilon=0.5, centered=True), None, "q",
        [0.96148294, -1.9983293, 2.9758198], [0.48313463, -0.26680064, 1.50841, 1.9820335]),
    "RMSProp(lr=0.1, weight_decay=0.05, loss_scale=2.0)": (
        lambda ps: nn.RMSProp(ps, 0.1, weight_decay=0.05, loss_scale=2.0), None, "q",
        [0.9534966, -1.9526365, 2.9159842], [0.47833502, -0.25457653, 1.471252, 1.9432501]),
}


@pytest.mark.parametrize("case", list(MINDSPORE_AFTER_4_STEPS))
def test_matches_mindspore_after_four_steps(case):
    factory, groups, qname, want_p, want_q = MINDSPORE_AFTER_4_STEPS[case]
    p, q = make_params(qname=qname)
    opt = factory([p, q] if groups is None else groups(p, q))
    run_steps(opt, p, q)
    # float32 throughout; MindSpore's kernels order some operations differently (a few ulp)
    np.testing.assert_allclose(p.asnumpy(), want_p, rtol=2e-6, atol=2e-7, err_msg=f"{case}: parameter p")
    np.testing.assert_allclose(q.asnumpy().ravel(), want_q, rtol=2e-6, atol=2e-7, err_msg=f"{case}: parameter q")
    assert p.dtype == ms.float32 and q.shape == (2, 2)


# ----- the same rules derived by hand in float64 -----------------------------------------------------
def numpy_sgd(lr, momentum=0.0, dampening=0.0, nesterov=False, weight_decay=0.0):
    w, v, out = P0.astype(np.float64), None, []
    for g in GP:
        g = g + weight_decay * w
        if momentum > 0:
            v = g if v is None else momentum * v + (1 - dampening) * g  # first step: v = g, undamped
            w = w - lr * (g + momentum * v if nesterov else v)
        else:
            w = w - lr * g
        out.append(w)
    return out


def numpy_momentum(lr, momentum, nesterov=False):
    w, v = P0.astype(np.float64), 0.0
    for g in GP:
        v = momentum * v + g
        w = w - lr * (g + momentum * v if nesterov else v)
    return w


def numpy_adam_textbook(lr, b1=0.9, b2=0.999, eps=1e-8):
    """Kingma & Ba with bias-corrected m_hat, v_hat; MindSpore's eps sits outside the correction,
    which is the textbook rule with eps_hat = eps / sqrt(1 - b2^t)."""
    w, m, v = P0.astype(np.float64), 0.0, 0.0
    for t, g in enumerate(GP, start=1):
        m = b1 * m + (1 - b1) * g
        v = b2 * v + (1 - b2) * g * g
        m_hat, v_hat = m / (1 - b1 ** t), v / (1 - b2 ** t)
        w = w - lr * m_hat / (np.sqrt(v_hat) + eps / math.sqrt(1 - b2 ** t))
    return w


def numpy_rmsprop(lr, decay=0.9, momentum=0.0, eps=1e-10, centered=False):
    w, s, gbar, mom = P0.astype(np.float64), 1.0, 0.0, 0.0  # s starts at one
    for g in GP:
        s = decay * s + (1 - decay) * g * g
        gbar = decay * gbar + (1 - decay) * g
        denom = np.sqrt((s - gbar * gbar if centered else s) + eps)
        mom = momentum * mom + lr * g / denom
        w = w - mom
    return w


def steps_of(opt_factory):
    p = Parameter(Tensor(P0), name="p")
    opt = opt_factory([p])
    history = []
    for g in GP:
        opt((Tensor(g),))
        history.append(p.asnumpy())
    return history


@pytest.mark.parametrize("kwargs", [
    {}, {"momentum": 0.9}, {"momentum": 0.9, "dampening": 0.5}, {"momentum": 0.8, "nesterov": True},
    {"weight_decay": 0.1}, {"momentum": 0.5, "weight_decay": 0.1, "dampening": 0.2},
], ids=str)
def test_sgd_matches_hand_derivation_at_every_step(kwargs):
    got = steps_of(lambda ps: nn.SGD(ps, 0.3, **kwargs))
    want = numpy_sgd(0.3, **kwargs)
    for step, (g, w) in enumerate(zip(got, want), start=1):
        np.testing.assert_allclose(g, w, rtol=1e-5, atol=1e-6, err_msg=f"SGD{kwargs} after step {step}")


def test_sgd_first_momentum_step_is_not_dampened():
    p = Parameter(Tensor(P0), name="p")
    opt = nn.SGD([p], 0.1, momentum=0.9, dampening=0.5)
    opt((Tensor(GP[0]),))
    np.testing.assert_allclose(p.asnumpy(), P0 - 0.1 * GP[0], rtol=1e-6)  # v = g, not (1 - 0.5) * g
    np.testing.assert_allclose(opt.accum[0].asnumpy(), GP[0], rtol=1e-6)
    np.testing.assert_array_equal(opt.stat[0].asnumpy(), np.zeros(3))


@pytest.mark.parametrize("nesterov", [False, True])
def test_momentum_matches_hand_derivation(nesterov):
    got = steps_of(lambda ps: nn.Momentum(ps, 0.2, 0.7, use_nesterov=nesterov))[-1]
    np.testing.assert_allclose(got, numpy_momentum(0.2, 0.7, nesterov), rtol=1e-5, atol=1e-6)


def test_momentum_nesterov_follows_the_documented_formula():
    # MindSpore 2.10's CPU kernel ignores use_nesterov (it gave the plain-momentum numbers above);
    # we follow the documented p <- p - lr*(g + u*v), the rule SGD(nesterov=True) uses too.
    plain = steps_of(lambda ps: nn.Momentum(ps, 0.1, 0.9))[-1]
    nesterov = steps_of(lambda ps: nn.Momentum(ps, 0.1, 0.9, use_nesterov=True))[-1]
    sgd_nesterov = steps_of(lambda ps: nn.SGD(ps, 0.1, momentum=0.9, nesterov=True))[-1]
    assert np.abs(plain - nesterov).max() > 1e-2
    np.testing.assert_allclose(nesterov, sgd_nesterov, rtol=1e-6)  # v_0 = 0 makes both rules agree


@pytest.mark.parametrize("kwargs", [{}, {"beta1": 0.5, "beta2": 0.9, "eps": 0.01}], ids=str)
def test_adam_is_textbook_adam_with_eps_outside_the_bias_correction(kwargs):
    got = steps_of(lambda ps: nn.Adam(ps, 0.1, **kwargs))[-1]
    ms_names = {"beta1": "b1", "beta2": "b2", "eps": "eps"}
    want = numpy_adam_textbook(0.1, **{ms_names[k]: v for k, v in kwargs.items()})
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)


def test_adam_first_step_moves_each_coordinate_by_lr():
    # t = 1: m = (1-b1) g, v = (1-b2) g^2, so the step is lr * sign(g) (up to eps)
    p = Parameter(Tensor(P0), name="p")
    nn.Adam([p], 0.1)((Tensor(GP[0]),))
    np.testing.assert_allclose(p.asnumpy(), P0 - 0.1 * np.sign(GP[0]), rtol=1e-5)


def test_adam_state_names_and_powers():
    p, q = make_params()
    opt = nn.Adam([p, q], 0.1)
    run_steps(opt, p, q, steps=2)
    assert [x.name for x in opt.moment1] == ["moment1.p", "moment1.q"]
    assert [x.name for x in opt.moment2] == ["moment2.p", "moment2.q"]
    np.testing.assert_allclose(opt.beta1_power.asnumpy(), 0.9 ** 2, rtol=1e-6)
    np.testing.assert_allclose(opt.beta2_power.asnumpy(), 0.999 ** 2, rtol=1e-6)
    # MindSpore 2.10 after the findings' 3-step run: moment1.p = [0.0331, 0.0372, 0.0037]; here 2 steps
    np.testing.assert_allclose(opt.moment1[0].asnumpy(), 0.9 * 0.1 * GP[0] + 0.1 * GP[1], rtol=1e-5)


@pytest.mark.parametrize("kwargs", [
    {}, {"momentum": 0.9}, {"centered": True}, {"decay": 0.5, "momentum": 0.3, "centered": True, "epsilon": 0.5},
], ids=str)
def test_rmsprop_matches_hand_derivation(kwargs):
    got = steps_of(lambda ps: nn.RMSProp(ps, 0.05, **kwargs))[-1]
    want = numpy_rmsprop(0.05, kwargs.get("decay", 0.9), kwargs.get("momentum", 0.0),
                         kwargs.get("epsilon", 1e-10), kwargs.get("centered", False))
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)


def test_state_buffers_have_mindspore_names():
    p, q = make_params()
    sgd = nn.SGD([p, q], 0.1, momentum=0.9)
    assert [x.name for x in sgd.accum] == ["accum.p", "accum.q"]
    assert [x.name for x in sgd.stat] == ["stat.p", "stat.q"]
    np.testing.assert_array_equal(sgd.stat[1].asnumpy(), np.ones((2, 2)))
    assert [x.name for x in nn.Momentum([p, q], 0.1, 0.9).moments] == ["moments.p", "moments.q"]
    rms = nn.RMSProp([p, q], centered=True)
    assert [x.name for x in rms.ms] == ["mean_square.p", "mean_square.q"]
    assert [x.name for x in rms.mg] == ["mean_grad.p", "mean_grad.q"]
    assert [x.name for x in rms.moment] == ["moment.p", "moment.q"]
    np.testing.assert_array_equal(rms.ms[0].asnumpy(), np.ones(3))  # MindSpore starts s at 1
    adamw = nn.AdamWeightDecay([p, q])
    assert [x.name for x in adamw.moments1] == ["adam_m.p", "adam_m.q"]
    assert [x.name for x in adamw.moments2] == ["adam_v.p", "adam_v.q"]


# ----- the call: return value, step counter, no in-place writes ----------------------------------------
@pytest.mark.parametrize("factory", [
    lambda ps: nn.SGD(ps, 0.1, momentum=0.9), lambda ps: nn.Momentum(ps, 0.1, 0.9), lambda ps: nn.Adam(ps),
    lambda ps: nn.AdamWeightDecay(ps, weight_decay=0.1), lambda ps: nn.RMSProp(ps, centered=True, momentum=0.5),
], ids=["SGD", "Momentum", "Adam", "AdamWeightDecay", "RMSProp"])
def test_call_returns_true_per_parameter_counts_steps_and_never_writes_in_place(factory):
    p, q = make_params()
    opt = factory([p, q])
    saved_p, saved_q = p.asnumpy(), q.asnumpy()  # what a learner keeps to plot a trajectory
    grads = (Tensor(GP[0]), Tensor(GQ[0]))
    saved_grad = grads[0].asnumpy().copy()
    result = opt(grads)
    assert result == (True, True)  # MindSpore 2.10 in PyNative returns one True per parameter
    np.testing.assert_array_equal(saved_p, P0, err_msg="an array saved before the step changed")
    np.testing.assert_array_equal(saved_q, Q0, err_msg="an array saved before the step changed")
    np.testing.assert_array_equal(grads[0].asnumpy(), saved_grad, err_msg="the step modified the gradient")
    assert not np.array_equal(p.asnumpy(), P0)
    assert opt.global_step.asnumpy().tolist() == [1] and opt.global_step.dtype == ms.int32
    opt(grads)
    assert opt.global_step.asnumpy().tolist() == [2]


def test_parameters_is_a_tuple_in_the_given_order_and_accepts_a_generator():
    p, q = make_params()
    opt = nn.SGD(x for x in (q, p))
    assert isinstance(opt.parameters, tuple) and opt.parameters == (q, p)


def test_float64_parameters_stay_float64():
    p = Parameter(Tensor(np.array([1.0, 2.0])), name="p")
    nn.Adam([p], 0.1)((Tensor(np.array([0.5, -0.5])),))
    assert p.asnumpy().dtype == np.float64


# ----- learning rates ------------------------------------------------------------------------------
@pytest.mark.parametrize("rates", [[0.1, 0.2, 0.3], np.array([0.1, 0.2, 0.3]), Tensor([0.1, 0.2, 0.3])],
                         ids=["list", "ndarray", "Tensor"])
def test_per_step_learning_rates_and_running_past_the_end(rates):
    p = Parameter(Tensor(P0), name="p")
    opt = nn.SGD([p], rates)
    assert opt.dynamic_lr
    seen, expected = [], P0.copy()
    for i, lr in enumerate([0.1, 0.2, 0.3]):
        seen.append(float(opt.get_lr()))
        opt((Tensor(GP[i]),))
        expected = expected - np.float32(lr) * GP[i]
    np.testing.assert_allclose(seen, [0.1, 0.2, 0.3], rtol=1e-6)
    # MindSpore 2.10 for SGD(lr=[0.1,0.2,0.3]) after 3 steps: [0.95, -2.09, 2.96]
    np.testing.assert_allclose(p.asnumpy(), [0.95, -2.09, 2.96], rtol=1e-6)
    np.testing.assert_allclose(p.asnumpy(), expected, rtol=1e-6)
    # MindSpore fails on the 4th step too ("Gather ... input_indices should be in the range [0, 3)")
    with pytest.raises(RuntimeError, match=r"has 3 values.*step 3"):
        opt((Tensor(GP[3]),))


def test_constant_learning_rate_is_a_float32_parameter_and_get_lr_returns_it():
    opt = nn.SGD(list(make_params()), 1)  # an int is accepted, as in MindSpore
    lr = opt.get_lr()
    assert isinstance(lr, Parameter) and lr.name == "learning_rate" and lr.shape == ()
    assert lr.dtype == ms.float32 and float(lr) == 1.0
    assert float(nn.SGD(list(make_params()), Tensor(0.25)).get_lr()) == 0.25


def test_numpy_scalars_are_accepted_and_the_lr_parameter_can_be_changed_between_steps():
    p = Parameter(Tensor(np.zeros(1, np.float32)), name="p")
    opt = nn.SGD([p], np.float32(0.5), weight_decay=np.float64(0.0))
    opt((Tensor(np.ones(1, np.float32)),))
    opt.learning_rate.set_data(Tensor(0.25))  # what an lr callback does
    opt((Tensor(np.ones(1, np.float32)),))
    np.testing.assert_allclose(p.asnumpy(), [-0.75], rtol=1e-6)
    assert float(nn.SGD([p], np.array(0.1)).get_lr()) == pytest.approx(0.1)


def test_schedule_is_read_before_the_step_is_counted():
    p = Parameter(Tensor(P0), name="p")
    opt = nn.SGD([p], nn.ExponentialDecayLR(0.1, 0.5, 1))
    rates = []
    for g in GP[:3]:
        rates.append(float(opt.get_lr()))
        opt((Tensor(g),))
    np.testing.assert_allclose(rates, [0.1, 0.05, 0.025], rtol=1e-6)
    # MindSpore 2.10 with the findings' 3 gradients: [0.97, -2.0224998, 3.0175]
    np.testing.assert_allclose(p.asnumpy(), [0.97, -2.0224998, 3.0175], rtol=1e-6)


def test_a_learners_own_schedule_cell():
    class Halving(nn.LearningRateSchedule):
        def construct(self, global_step):
            return 0.4 * 0.5 ** global_step.astype(ms.float32)

    p = Parameter(Tensor(np.zeros(1, np.float32)), name="p")
    opt = nn.SGD([p], Halving())
    for _ in range(3):
        opt((Tensor(np.ones(1, np.float32)),))
    np.testing.assert_allclose(p.asnumpy(), [-(0.4 + 0.2 + 0.1)], rtol=1e-6)


# MindSpore 2.10: schedule(Tensor(step, int32)) for steps 0..5
SCHEDULES = {
    "ExponentialDecayLR(0.1, 0.9, 2)": (lambda: nn.ExponentialDecayLR(0.1, 0.9, 2),
                                        [0.1, 0.094868325, 0.089999996, 0.0853815, 0.08099999, 0.07684334]),
    "ExponentialDecayLR(0.1, 0.9, 2, True)": (lambda: nn.ExponentialDecayLR(0.1, 0.9, 2, True),
                                              [0.1, 0.1, 0.089999996, 0.089999996, 0.08099999, 0.08099999]),
    "CosineDecayLR(0.01, 0.1, 4)": (lambda: nn.CosineDecayLR(0.01, 0.1, 4),
                                    [0.1, 0.086819805, 0.055, 0.02318019, 0.01, 0.01]),
    "PolynomialDecayLR(0.1, 0.01, 4, 0.5)": (lambda: nn.PolynomialDecayLR(0.1, 0.01, 4, 0.5),
                                             [0.1, 0.08794229, 0.07363961, 0.055, 0.01, 0.01]),
    "PolynomialDecayLR(0.1, 0.01, 2, 2.0, True)": (lambda: nn.PolynomialDecayLR(0.1, 0.01, 2, 2.0, True),
                                                   [0.1, 0.0325, 0.01, 0.015625, 0.01, 0.0125]),
}


@pytest.mark.parametrize("name", list(SCHEDULES))
def test_schedules_match_mindspore(name):
    make, want = SCHEDULES[name]
    schedule = make()
    got = [float(schedule(Tensor(step, ms.int32))) for step in range(6)]
    np.testing.assert_allclose(got, want, rtol=1e-6, err_msg=name)


def test_warmup_lr_schedule():
    got = [float(nn.WarmUpLR(0.1, 4)(Tensor(step, ms.int32))) for step in range(6)]
    np.testing.assert_allclose(got, [0.0, 0.025, 0.05, 0.075, 0.1, 0.1], rtol=1e-6)


def test_dynamic_lr_lists_match_mindspore():
    # MindSpore 2.10 outputs (Python floats, compared exactly)
    assert nn.piecewise_constant_lr([2, 5, 7], [0.1, 0.05, 0.01]) == [0.1, 0.1, 0.05, 0.05, 0.05, 0.01, 0.01]
    assert nn.exponential_decay_lr(0.1, 0.9, 6, 2, 1) == [
        0.1, 0.1, 0.09000000000000001, 0.09000000000000001, 0.08100000000000002, 0.08100000000000002]
    assert nn.exponential_decay_lr(0.1, 0.9, 6, 1, 2, True) == [
        0.1, 0.1, 0.09000000000000001, 0.09000000000000001, 0.08100000000000002, 0.08100000000000002]
    assert nn.cosine_decay_lr(0.01, 0.1, 6, 2, 2) == [0.1, 0.1, 0.05500000000000001, 0.05500000000000001, 0.01, 0.01]
    assert nn.polynomial_decay_lr(0.1, 0.01, 6, 2, 2, 0.5) == [
        0.1, 0.1, 0.07363961030678928, 0.07363961030678928, 0.01, 0.01]
    assert nn.polynomial_decay_lr(0.1, 0.01, 6, 1, 2, 0.5, True) == [
        0.1, 0.07363961030678928, 0.01, 0.05500000000000001, 0.01, 0.04674234614174767]
    assert nn.warmup_lr(0.1, 4, 1, 2) == [0.0, 0.05, 0.1, 0.1]


def test_a_dynamic_lr_list_drives_the_optimizer():
    rates = nn.piecewise_constant_lr([1, 3], [0.5, 0.1])
    p = Parameter(Tensor(np.zeros(1, np.float32)), name="p")
    opt = nn.SGD([p], rates)
    for _ in range(3):
        opt((Tensor(np.ones(1, np.float32)),))
    np.testing.assert_allclose(p.asnumpy(), [-0.7], rtol=1e-6)


@pytest.mark.parametrize("make, error, message", [
    (lambda: nn.ExponentialDecayLR(1, 0.9, 2), TypeError, "ExponentialDecayLR: learning_rate must be a float"),
    (lambda: nn.ExponentialDecayLR(0.1, 0.9, 0), ValueError, "decay_steps must be > 0"),
    (lambda: nn.CosineDecayLR(0.1, 0.1, 2), ValueError, "max_lr must be greater than min_lr"),
    (lambda: nn.PolynomialDecayLR(0.1, 0.01, 2, 0.0), ValueError, "power must be > 0"),
    (lambda: nn.piecewise_constant_lr([2, 1], [0.1, 0.05]), ValueError, "milestone must increase"),
    (lambda: nn.piecewise_constant_lr([2], [0.1, 0.05]), ValueError, "same size"),
    (lambda: nn.cosine_decay_lr(0.01, 0.1, 0, 1, 1), ValueError, "total_step must be > 0"),
])
def test_schedule_argument_errors(make, error, message):
    with pytest.raises(error, match=message):
        make()


# ----- parameter groups -------------------------------------------------------------------------------
def test_group_learning_rates():
    p, q = make_params()
    opt = nn.SGD([{"params": [p], "lr": 0.5}, {"params": [q]}], learning_rate=0.1)
    lrs = opt.get_lr()  # MindSpore: (learning_rate_group_0, learning_rate), one per parameter
    assert [x.name for x in lrs] == ["learning_rate_group_0", "learning_rate"]
    assert [float(x) for x in lrs] == [0.5, pytest.approx(0.1)]
    assert opt.get_lr_parameter(p).name == "learning_rate_group_0"
    assert [x.name for x in opt.get_lr_parameter([q, p])] == ["learning_rate", "learning_rate_group_0"]
    opt((Tensor(GP[0]), Tensor(GQ[0])))
    np.testing.assert_allclose(p.asnumpy(), P0 - 0.5 * GP[0], rtol=1e-6)
    np.testing.assert_allclose(q.asnumpy(), Q0 - 0.1 * GQ[0], rtol=1e-6)


def test_group_weight_decay_and_default_name_filter():
    p, q = make_params(qname="bn.gamma")
    plain = nn.SGD([p, q], 0.1, weight_decay=0.5)
    assert plain.decay_flags == (True, False)
    grouped = nn.SGD([{"params": [p], "weight_decay": 0.0}, {"params": [q], "weight_decay": 0.5}], 0.1)
    assert grouped.decay_flags == (False, True)
    grouped((Tensor(GP[0]), Tensor(GQ[0])))
    np.testing.assert_allclose(p.asnumpy(), P0 - 0.1 * GP[0], rtol=1e-6)
    np.testing.assert_allclose(q.asnumpy(), Q0 - 0.1 * (GQ[0] + 0.5 * Q0), rtol=1e-6)


def test_order_params_sets_the_order_of_parameters():
    p, q = make_params()
    opt = nn.Adam([{"params": [q], "lr": 0.2}, {"params": [p]}, {"order_params": [p, q]}], 0.1)
    assert opt.parameters == (p, q)
    assert [float(x) for x in opt.get_lr()] == [pytest.approx(0.1), pytest.approx(0.2)]


@pytest.mark.parametrize("groups, error, message", [
    (lambda p, q: [{"params": [p], "foo": 1}], KeyError, r"group keys must be among.*'foo'"),
    (lambda p, q: [{"params": [p, q]}, {"params": [p]}], RuntimeError, "parameter 'p' appears in two groups"),
    (lambda p, q: [{"params": [p, q]}, {"order_params": [p]}], ValueError, "'order_params' has 1 parameters"),
    (lambda p, q: [{"params": []}], ValueError, "must not be empty"),
    (lambda p, q: [{"params": [p], "weight_decay": -1.0}], ValueError, "weight_decay must be >= 0"),
])
def test_group_errors(groups, error, message):
    with pytest.raises(error, match=message):
        nn.SGD(groups(*make_params()), 0.1)


# ----- errors ---------------------------------------------------------------------------------------
def test_gradient_count_and_shape_errors_name_the_optimizer_parameter_and_shapes():
    p, q = make_params()
    opt = nn.Momentum([p, q], 0.1, 0.9)
    with pytest.raises(ValueError, match=r"Momentum: got 1 gradients for 2 parameters \(p, q\)"):
        opt((Tensor(GP[0]),))
    with pytest.raises(ValueError, match=r"Momentum: gradient 1 for parameter 'q' has shape \(4,\) but the "
                                         r"parameter has shape \(2, 2\)"):
        opt((Tensor(GP[0]), Tensor(GQ[0].ravel())))
    # the seed tutorial's bug: a single gradient Tensor instead of the tuple
    with pytest.raises(TypeError, match=r"Momentum: expected a tuple of gradients.*single Tensor of shape \(3,\)"):
        opt(Tensor(GP[0]))
    with pytest.raises(TypeError, match="must be a tuple"):
        opt([Tensor(GP[0]), Tensor(GQ[0])])
    np.testing.assert_array_equal(p.asnumpy(), P0)  # nothing moved
    assert opt.global_step.asnumpy().tolist() == [0]


@pytest.mark.parametrize("make, error, message", [
    (lambda ps: nn.SGD(ps, -0.1), ValueError, "SGD: learning_rate must be >= 0, got -0.1"),
    (lambda ps: nn.SGD(ps, "fast"), TypeError, "SGD: learning_rate must be a float"),
    (lambda ps: nn.SGD(ps, np.ones((2, 2))), ValueError, r"must be 1-D and non-empty, got shape \(2, 2\)"),
    (lambda ps: nn.SGD(ps, 0.1, momentum=-0.1), ValueError, "SGD: momentum must be >= 0"),
    (lambda ps: nn.SGD(ps, 0.1, dampening=-1.0), ValueError, "SGD: dampening must be >= 0"),
    (lambda ps: nn.SGD(ps, 0.1, nesterov=True), ValueError, "nesterov=True needs momentum > 0"),
    (lambda ps: nn.SGD(ps, 0.1, momentum=0.9, dampening=0.1, nesterov=True), ValueError, "dampening = 0"),
    (lambda ps: nn.SGD(ps, 0.1, weight_decay=-1.0), ValueError, "SGD: weight_decay must be >= 0"),
    (lambda ps: nn.SGD(ps, 0.1, loss_scale=0.0), ValueError, "SGD: loss_scale must be a float > 0"),
    (lambda ps: nn.Momentum(ps, 0.1, 1), TypeError, "Momentum: momentum must be a float, got int"),
    (lambda ps: nn.Momentum(ps, 0.1, -0.5), ValueError, "Momentum: momentum must be >= 0"),
    (lambda ps: nn.Adam(ps, 0.1, beta1=1.0), ValueError, r"Adam: beta1 must be in the open range \(0, 1\)"),
    (lambda ps: nn.Adam(ps, 0.1, beta2=0.0), ValueError, "Adam: beta2 must be in the open range"),
    (lambda ps: nn.Adam(ps, 0.1, eps=0.0), ValueError, "Adam: eps must be > 0"),
    (lambda ps: nn.Adam(ps, 0.1, beta1=1), TypeError, "Adam: beta1 must be a float"),
    (lambda ps: nn.AdamWeightDecay(ps, 0.1, beta2=1.5), ValueError, "AdamWeightDecay: beta2 must be in"),
    (lambda ps: nn.RMSProp(ps, 0.1, decay=1), TypeError, "RMSProp: decay must be a float"),
    (lambda ps: nn.RMSProp(ps, 0.1, momentum=-1.0), ValueError, "RMSProp: decay and momentum must be >= 0"),
    (lambda ps: nn.RMSProp(ps, 0.1, epsilon=0.0), ValueError, "RMSProp: epsilon must be > 0"),
    (lambda ps: nn.SGD([], 0.1), ValueError, "SGD: the argument parameters must not be empty"),
    (lambda ps: nn.SGD(None, 0.1), ValueError, "can not be None"),
    (lambda ps: nn.SGD([Tensor(P0)], 0.1), TypeError, "every element of parameters must be a Parameter"),
    (lambda ps: nn.SGD(ps[0], 0.1), TypeError, r"list of Parameters.*net.trainable_params\(\)"),
])
def test_hyperparameter_errors(make, error, message):
    with pytest.raises(error, match=message):
        make(list(make_params()))


# ----- a whole training loop ------------------------------------------------------------------------
class Line(nn.Cell):
    """y = x W^T + b with W (1, 1) and b (1,), the shapes of nn.Dense(1, 1)."""

    def __init__(self):
        super().__init__()
        self.weight = Parameter(Tensor([[0.5]]), name="weight")
        self.bias = Parameter(Tensor([0.0]), name="bias")

    def construct(self, x):
        return ops.matmul(x, self.weight.T) + self.bias


def seed_data():
    np.random.seed(0)
    x = np.linspace(-1, 1, 100, dtype=np.float32).reshape(-1, 1)
    y = (2 * x + 0.5 + np.random.normal(0, 0.05, x.shape)).astype(np.float32)
    return Tensor(x), Tensor(y)


@pytest.mark.parametrize("lr, epochs, want_w, want_b", [
    (0.01, 10, 0.5984633, 0.09201062),  # the seed tutorial's settings: far from 2.0 and 0.5
    (0.1, 200, 1.9925656, 0.5029903),   # the fix
])
def test_training_loop_on_the_seed_line_matches_mindspore(lr, epochs, want_w, want_b):
    # MindSpore 2.10: nn.Dense(1, 1, weight_init=Tensor([[0.5]]), bias_init='zeros'), nn.SGD, MSELoss,
    # value_and_grad(forward, None, optimizer.parameters, has_aux=True), full batch, same data.
    net = Line()
    optimizer = nn.SGD(net.trainable_params(), learning_rate=lr)

    def forward(x, y):
        pred = net(x)
        return ((pred - y) ** 2).mean(), pred

    grad_fn = ms.value_and_grad(forward, None, optimizer.parameters, has_aux=True)
    x, y = seed_data()
    losses = []
    for _ in range(epochs):
        (loss, _), grads = grad_fn(x, y)
        optimizer(grads)
        losses.append(float(loss))
    np.testing.assert_allclose(net.weight.asnumpy(), [[want_w]], rtol=1e-5)
    np.testing.assert_allclose(net.bias.asnumpy(), [want_b], rtol=1e-5, atol=1e-6)
    assert losses[-1] < losses[0]
    if epochs == 200:
        assert losses[-1] < 0.003  # MindSpore: 0.0025207773 at the last step


@pytest.mark.parametrize("make", [
    lambda ps: nn.Momentum(ps, 0.05, 0.9), lambda ps: nn.Adam(ps, 0.05), lambda ps: nn.RMSProp(ps, 0.01),
    lambda ps: nn.AdamWeightDecay(ps, 0.05),
], ids=["Momentum", "Adam", "RMSProp", "AdamWeightDecay"])
def test_other_optimizers_fit_the_line_too(make):
    net = Line()
    optimizer = make(net.trainable_params())
    grad_fn = ms.value_and_grad(lambda x, y: ((net(x) - y) ** 2).mean(), None, optimizer.parameters)
    x, y = seed_data()
    for _ in range(300):
        _, grads = grad_fn(x, y)
        optimizer(grads)
    np.testing.assert_allclose(net.weight.asnumpy(), [[2.0]], atol=0.05)
    np.testing.assert_allclose(net.bias.asnumpy(), [0.5], atol=0.05)


def test_a_learners_own_optimizer_subclass_uses_the_base_helpers():
    class PlainGD(nn.Optimizer):
        """w <- w - lr * (g / loss_scale + weight_decay * w), written with the base class's helpers."""

        def construct(self, gradients):
            gradients = self.scale_grad(self.decay_weight(gradients))
            lr = self.get_lr()
            for param, grad in zip(self.parameters, gradients):
                param.set_data(param - lr * grad)
            return True

    p, q = make_params(qname="gamma")
    opt = PlainGD(0.1, [p, q], weight_decay=0.5, loss_scale=2.0)
    assert opt((Tensor(GP[0]), Tensor(GQ[0]))) is True
    np.testing.assert_allclose(p.asnumpy(), P0 - 0.1 * (GP[0] / 2 + 0.5 * P0), rtol=1e-6)
    np.testing.assert_allclose(q.asnumpy(), Q0 - 0.1 * GQ[0] / 2, rtol=1e-6)  # 'gamma': no decay


def test_repr_states_the_hyperparameters():
    text = repr(nn.SGD(list(make_params()), 0.1, momentum=0.9))
    assert text.startswith("SGD") and "learning_rate=0.1, momentum=0.9, dampening=0.0, nesterov=False" in text
    assert "beta1=0.9, beta2=0.999, eps=1e-08" in repr(nn.Adam(list(make_params())))


def test_sgd_step_leaves_the_callers_gradients_and_old_weights_alone():
    """SGD writes w - lr*g into a temporary of its own (out=): the gradient tuple and the array a
    learner took from the weight before the step keep their values."""
    w = ms.Parameter(ms.Tensor(np.array([1.0, 2.0], np.float32)), name="w")
    old = w.asnumpy()
    grads = (ms.Tensor(np.array([0.5, -1.0], np.float32)),)
    nn.SGD([w], learning_rate=0.1)(grads)
    np.testing.assert_array_equal(old, [1.0, 2.0])
    np.testing.assert_array_equal(grads[0].asnumpy(), [0.5, -1.0])
    np.testing.assert_allclose(w.asnumpy(), [0.95, 2.1], rtol=1e-6)
    assert w.asnumpy().dtype == np.float32
