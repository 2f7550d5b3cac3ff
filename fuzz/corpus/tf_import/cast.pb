
:
xPlaceholder*
shape:*
dtype0
)
to_intCastx*

DstT0*

SrcT0
0
to_floatCastto_int*

SrcT0*

DstT0"