
:
xPlaceholder*
dtype0*
shape:

relu6Relu6x*
T0"