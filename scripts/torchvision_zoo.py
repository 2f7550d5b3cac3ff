"""The seeded torchvision networks that scripts/make_caffe_models.py and scripts/make_tf_models.py
write in other formats: the same weights in every format, with non-trivial batch-norm statistics so
that BN folding is exercised."""


def seeded_net(name, affine_bn=False):
    """torchvision `name` with weights from seed 0, in eval mode; BN running statistics (and, with
    affine_bn, BN scale and shift) drawn from a generator seeded with 1."""
    import torch
    import torchvision
    torch.manual_seed(0)
    net = getattr(torchvision.models, name)()
    net.eval()
    g = torch.Generator().manual_seed(1)
    for m in net.modules():
        if isinstance(m, torch.nn.BatchNorm2d):
            m.running_mean.copy_(torch.rand(m.num_features, generator=g) * 0.2 - 0.1)
            m.running_var.copy_(torch.rand(m.num_features, generator=g) * 0.5 + 0.75)
            if affine_bn:
                m.weight.data.copy_(torch.rand(m.num_features, generator=g) * 0.5 + 0.75)
                m.bias.data.copy_(torch.rand(m.num_features, generator=g) * 0.2 - 0.1)
    return net
