# The DLL's entry point: a DLL needs one, and ours has nothing to set up, so it just reports
# success (TRUE) for every reason it is called with. x86-64, Microsoft ABI: result in EAX.
	.text
	.globl	DllMain
DllMain:
	movl	$1, %eax
	ret
