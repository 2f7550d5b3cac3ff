
2
xPlaceholder*
shape
:*
dtype0
R
wConst*
dtype0*9
val