
:
xPlaceholder*
shape:*
dtype0
›
wConst*
valuexBv"`&{à>ïÏw¿'?÷	Ñ<Œ³[?o*^¿#Á.?ÏÚ]¿4mŸ¾Š¿¾°Ÿn?Ñæþ=3ìö¾C¿r·F?ØZ¿^:@¿Ò¿Ø¾Ja0>ŽÝ=i’?¢µ÷=¨Ø¾gc2¾*
dtype0
t
convConv2Dxw*
T0*
data_formatNHWC*
	dilations
*
paddingVALID*
strides
"