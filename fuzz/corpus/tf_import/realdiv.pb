
:
xPlaceholder*
shape:*
dtype0
:
cConst*!
valueB"#Æ¡>®ÍÝ>@Ó‚¾*
dtype0
!
realdivRealDivxc*
T0"