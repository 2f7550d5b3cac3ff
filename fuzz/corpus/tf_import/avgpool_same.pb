
:
xPlaceholder*
dtype0*
shape:
m
poolAvgPoolx*
ksize
*
paddingSAME*
T0*
strides
*
data_formatNHWC"