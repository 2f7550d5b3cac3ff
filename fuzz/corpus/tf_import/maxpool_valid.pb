
:
xPlaceholder*
shape:*
dtype0
n
poolMaxPoolx*
T0*
ksize
*
strides
*
paddingVALID*
data_formatNHWC"