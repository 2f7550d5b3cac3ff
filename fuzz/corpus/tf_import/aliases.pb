
:
xPlaceholder*
dtype0*
shape:

idIdentityx*
T0
!
stopStopGradientid*
T0

snapSnapshotstop*
T0

noopNoOp^snap

outRelusnap*
T0"