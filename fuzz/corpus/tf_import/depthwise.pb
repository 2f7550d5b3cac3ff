
:
xPlaceholder*
shape:*
dtype0
©
wConst*
value…B‚"lÀà"?éŠ>:k?Úº…¾+×=U[@>:S2?~„5¿‚w?¾$æQ?#ói¿Â9%?"K-¾Ü(?<çz¿W1Š¾Î½W¿ÿFœ>”ç¾„Ï>ñ9c?Ô?¿9Ä:?êa¿—.t¾Ò¾d°¶¼*
dtype0
i
dwDepthwiseConv2dNativexw*
strides
*
data_formatNHWC*
paddingSAME*
T0"