"""Public names of TensorFlow 2.21 / Keras 3, and the error for a name profond lacks.

Faces (``profond``, ``profond.keras``, ``profond.keras.layers``, ``profond.math`` …) end with

    def __getattr__(name):
        raise missing_name(__name__, name)

so ``tf.RaggedTensor`` says "a TensorFlow/Keras name that profond does not implement yet" while a
typo says only that the name is not in profond. Python calls a module's ``__getattr__`` only for
names the module lacks, so a name implemented later simply stops reaching it. The lists are the
public names of the real modules (``dir(tf)``, ``dir(keras.layers)`` …, TensorFlow 2.21), nothing
more: ``tests/keras/test_surface.py`` checks them against TensorFlow when it is installed.
"""

_REAL = {
    "profond": """
        AggregationMethod Assert CriticalSection DType DeviceSpec GradientTape Graph IndexedSlices
        IndexedSlicesSpec Module NoneTensorSpec Operation OptionalSpec RaggedTensor RaggedTensorSpec
        RegisterGradient SparseTensor SparseTensorSpec Tensor TensorArray TensorArraySpec
        TensorShape TensorSpec TypeSpec UnconnectedGradients Variable VariableAggregation
        VariableSynchronization abs acos acosh add add_n approx_top_k argmax argmin argsort as_dtype
        as_string asin asinh assert_equal assert_greater assert_less assert_rank atan atan2 atanh
        audio autodiff autograph batch_to_space bfloat16 bitcast bitwise bool boolean_mask
        broadcast_dynamic_shape broadcast_static_shape broadcast_to case cast check_pinned
        clip_by_global_norm clip_by_norm clip_by_value compat complex complex128 complex64 concat
        cond config constant constant_initializer control_dependencies conv
        conv2d_backprop_filter_v2 conv2d_backprop_input_v2 convert_to_tensor cos cosh cumsum
        custom_gradient data debugging device distribute divide double dtensor dtypes
        dynamic_partition dynamic_stitch edit_distance eig eigvals einsum ensure_shape equal errors
        executing_eagerly exp expand_dims experimental extract_volume_patches eye feature_column
        fftnd fill fingerprint float16 float32 float64 floor foldl foldr function gather gather_nd
        get_current_name_scope get_logger get_static_value grad_pass_through gradients graph_util
        greater greater_equal group guarantee_const half hessians histogram_fixed_width
        histogram_fixed_width_bins identity identity_n ifftnd image import_graph_def init_scope
        initializers inside_function int16 int32 int64 int8 io irfftnd is_symbolic_tensor is_tensor
        keras less less_equal linalg linspace lite load_library load_op_library logical_and
        logical_not logical_or lookup losses make_ndarray make_tensor_proto map_fn math matmul
        matrix_square_root maximum meshgrid metrics minimum mlir multiply name_scope negative nest
        newaxis nn no_gradient no_op nondifferentiable_batch_function norm not_equal numpy_function
        one_hot ones ones_initializer ones_like optimizers pad parallel_stack pow print profiler
        py_function qint16 qint32 qint8 quantization queue quint16 quint8 ragged
        ragged_fill_empty_rows ragged_fill_empty_rows_grad random random_index_shuffle
        random_normal_initializer random_uniform_initializer range rank raw_ops realdiv
        recompute_grad reduce_all reduce_any reduce_logsumexp reduce_max reduce_mean reduce_min
        reduce_prod reduce_sum register_tensor_conversion_function repeat
        required_space_to_batch_paddings reshape resource reverse reverse_sequence rfftnd roll round
        saturate_cast saved_model scalar_mul scan scatter_nd searchsorted security sequence_mask
        sets shape shape_n sigmoid sign signal sin sinh size slice sort space_to_batch
        space_to_batch_nd sparse split sqrt square squeeze stack stop_gradient strided_slice string
        strings subtract summary switch_case sysconfig tan tanh tensor_scatter_nd_add
        tensor_scatter_nd_max tensor_scatter_nd_min tensor_scatter_nd_sub tensor_scatter_nd_update
        tensordot test tile timestamp tools tpu train transpose truediv truncatediv truncatemod
        tuple type_spec_from_value types uint16 uint32 uint64 uint8 unique unique_with_counts
        unravel_index unstack variable_creator_scope variant vectorized_map version where while_loop
        xla zeros zeros_initializer zeros_like
    """,
    "profond.keras": """
        DTypePolicy FloatDTypePolicy Function Initializer Input InputSpec KerasTensor Layer Loss
        Metric Model Operation Optimizer Quantizer Regularizer RematScope Sequential StatelessScope
        SymbolicScope Variable activations applications backend callbacks config constraints
        datasets device distillation distribution dtype_policies export initializers layers legacy
        losses metrics mixed_precision models name_scope ops optimizers preprocessing quantizers
        random regularizers remat saving tree utils version visualization wrappers
    """,
    "profond.keras.layers": """
        Activation ActivityRegularization AdaptiveAveragePooling1D AdaptiveAveragePooling2D
        AdaptiveAveragePooling3D AdaptiveMaxPooling1D AdaptiveMaxPooling2D AdaptiveMaxPooling3D Add
        AdditiveAttention AlphaDropout Attention AugMix AutoContrast Average AveragePooling1D
        AveragePooling2D AveragePooling3D AvgPool1D AvgPool2D AvgPool3D BatchNormalization
        Bidirectional CategoryEncoding CenterCrop Concatenate
        ContrastLimitedAdaptiveHistogramEqualization Conv1D Conv1DTranspose Conv2D Conv2DTranspose
        Conv3D Conv3DTranspose ConvLSTM1D ConvLSTM2D ConvLSTM3D Convolution1D Convolution1DTranspose
        Convolution2D Convolution2DTranspose Convolution3D Convolution3DTranspose Cropping1D
        Cropping2D Cropping3D CutMix Dense DepthwiseConv1D DepthwiseConv2D Discretization Dot
        Dropout ELU EinsumDense Embedding Equalization Flatten FlaxLayer GRU GRUCell GaussianDropout
        GaussianNoise GlobalAveragePooling1D GlobalAveragePooling2D GlobalAveragePooling3D
        GlobalAvgPool1D GlobalAvgPool2D GlobalAvgPool3D GlobalMaxPool1D GlobalMaxPool2D
        GlobalMaxPool3D GlobalMaxPooling1D GlobalMaxPooling2D GlobalMaxPooling3D GroupNormalization
        GroupQueryAttention HashedCrossing Hashing Identity Input InputLayer InputSpec IntegerLookup
        JaxLayer LSTM LSTMCell Lambda Layer LayerNormalization LeakyReLU Masking MaxNumBoundingBoxes
        MaxPool1D MaxPool2D MaxPool3D MaxPooling1D MaxPooling2D MaxPooling3D Maximum MelSpectrogram
        Minimum MixUp MultiHeadAttention Multiply Normalization PReLU Permute Pipeline
        RMSNormalization RNN RandAugment RandomBrightness RandomColorDegeneration RandomColorJitter
        RandomContrast RandomCrop RandomElasticTransform RandomErasing RandomFlip RandomGaussianBlur
        RandomGrayscale RandomHue RandomInvert RandomPerspective RandomPosterization RandomRotation
        RandomSaturation RandomSharpness RandomShear RandomTranslation RandomZoom ReLU RepeatVector
        Rescaling Reshape Resizing ReversibleEmbedding STFTSpectrogram SeparableConv1D
        SeparableConv2D SeparableConvolution1D SeparableConvolution2D SimpleRNN SimpleRNNCell
        Softmax Solarization SpatialDropout1D SpatialDropout2D SpatialDropout3D
        SpectralNormalization StackedRNNCells StringLookup Subtract TFSMLayer TextVectorization
        TimeDistributed TorchModuleWrapper UnitNormalization UpSampling1D UpSampling2D UpSampling3D
        Wrapper ZeroPadding1D ZeroPadding2D ZeroPadding3D add average concatenate deserialize dot
        maximum minimum multiply serialize subtract
    """,
    "profond.math": """
        abs accumulate_n acos acosh add add_n angle approx_max_k approx_min_k argmax argmin asin
        asinh atan atan2 atanh bessel_i0 bessel_i0e bessel_i1 bessel_i1e betainc bincount ceil
        confusion_matrix conj cos cosh count_nonzero cumprod cumsum cumulative_logsumexp digamma
        divide divide_no_nan equal erf erfc erfcinv erfinv exp expm1 floor floordiv floormod greater
        greater_equal igamma igammac imag in_top_k invert_permutation is_finite is_inf is_nan
        is_non_decreasing is_strictly_increasing l2_normalize lbeta less less_equal lgamma log log1p
        log_sigmoid log_softmax logical_and logical_not logical_or logical_xor maximum minimum mod
        multiply multiply_no_nan ndtri negative nextafter not_equal polygamma polyval pow real
        reciprocal reciprocal_no_nan reduce_all reduce_any reduce_euclidean_norm reduce_logsumexp
        reduce_max reduce_mean reduce_min reduce_prod reduce_std reduce_sum reduce_variance rint
        round rsqrt scalar_mul segment_max segment_mean segment_min segment_prod segment_sum sigmoid
        sign sin sinh sobol_sample softmax softplus softsign special sqrt square squared_difference
        subtract tan tanh top_k truediv unsorted_segment_max unsorted_segment_mean
        unsorted_segment_min unsorted_segment_prod unsorted_segment_sqrt_n unsorted_segment_sum
        xdivy xlog1py xlogy zero_fraction zeta
    """,
    "profond.linalg": """
        LinearOperator LinearOperatorAdjoint LinearOperatorBlockDiag
        LinearOperatorBlockLowerTriangular LinearOperatorCirculant LinearOperatorCirculant2D
        LinearOperatorCirculant3D LinearOperatorComposition LinearOperatorDiag
        LinearOperatorFullMatrix LinearOperatorHouseholder LinearOperatorIdentity
        LinearOperatorInversion LinearOperatorKronecker LinearOperatorLowRankUpdate
        LinearOperatorLowerTriangular LinearOperatorPermutation LinearOperatorScaledIdentity
        LinearOperatorToeplitz LinearOperatorTridiag LinearOperatorZeros adjoint band_part
        banded_triangular_solve cholesky cholesky_solve cross det diag diag_part eig eigh
        eigh_tridiagonal eigvals eigvalsh einsum experimental expm eye global_norm inv l2_normalize
        logdet logm lstsq lu lu_matrix_inverse lu_reconstruct lu_solve matmul matrix_rank
        matrix_transpose matvec norm normalize pinv qr set_diag slogdet solve sqrtm svd tensor_diag
        tensor_diag_part tensordot trace triangular_solve tridiagonal_matmul tridiagonal_solve
    """,
    "profond.nn": """
        RNNCellDeviceWrapper RNNCellDropoutWrapper RNNCellResidualWrapper all_candidate_sampler
        approx_max_k approx_min_k atrous_conv2d atrous_conv2d_transpose avg_pool avg_pool1d
        avg_pool2d avg_pool3d batch_norm_with_global_normalization batch_normalization bias_add
        collapse_repeated compute_accidental_hits compute_average_loss conv1d conv1d_transpose
        conv2d conv2d_transpose conv3d conv3d_transpose conv_transpose convolution crelu
        ctc_beam_search_decoder ctc_greedy_decoder ctc_loss ctc_unique_labels depth_to_space
        depthwise_conv2d depthwise_conv2d_backprop_filter depthwise_conv2d_backprop_input dilation2d
        dropout elu embedding_lookup embedding_lookup_sparse erosion2d experimental
        fixed_unigram_candidate_sampler fractional_avg_pool fractional_max_pool gelu in_top_k
        isotonic_regression l2_loss l2_normalize leaky_relu learned_unigram_candidate_sampler
        local_response_normalization log_poisson_loss log_softmax lrn max_pool max_pool1d max_pool2d
        max_pool3d max_pool_with_argmax moments nce_loss normalize_moments pool relu relu6
        safe_embedding_lookup_sparse sampled_softmax_loss scale_regularization_loss selu
        separable_conv2d sigmoid sigmoid_cross_entropy_with_logits silu softmax
        softmax_cross_entropy_with_logits softplus softsign space_to_batch space_to_depth
        sparse_softmax_cross_entropy_with_logits sufficient_statistics swish tanh top_k
        weighted_cross_entropy_with_logits weighted_moments with_space_to_batch zero_fraction
    """,
    "profond.strings": """
        as_string bytes_split format join length lower ngrams reduce_join regex_full_match
        regex_replace split strip substr to_hash_bucket to_hash_bucket_fast to_hash_bucket_strong
        to_number unicode_decode unicode_decode_with_offsets unicode_encode unicode_script
        unicode_split unicode_split_with_offsets unicode_transcode unsorted_segment_join upper
    """,
    "profond.debugging": """
        Assert assert_all_finite assert_equal assert_greater assert_greater_equal assert_integer
        assert_less assert_less_equal assert_near assert_negative assert_non_negative
        assert_non_positive assert_none_equal assert_positive assert_proper_iterable assert_rank
        assert_rank_at_least assert_rank_in assert_same_float_dtype assert_scalar assert_shapes
        assert_type check_numerics disable_check_numerics disable_traceback_filtering
        enable_check_numerics enable_traceback_filtering experimental get_log_device_placement
        is_numeric_tensor is_traceback_filtering_enabled set_log_device_placement
    """,
    "profond.distribute": """
        CrossDeviceOps DistributedDataset DistributedIterator DistributedValues
        HierarchicalCopyAllReduce InputContext InputOptions InputReplicationMode MirroredStrategy
        MultiWorkerMirroredStrategy NcclAllReduce OneDeviceStrategy ParameterServerStrategy ReduceOp
        ReductionToOneDevice ReplicaContext RunOptions Server Strategy StrategyExtended TPUStrategy
        cluster_resolver coordinator experimental experimental_set_strategy get_replica_context
        get_strategy has_strategy in_cross_replica_context
    """,
    "profond.config": """
        LogicalDevice LogicalDeviceConfiguration PhysicalDevice experimental
        experimental_connect_to_cluster experimental_connect_to_host
        experimental_functions_run_eagerly experimental_run_functions_eagerly functions_run_eagerly
        get_logical_device_configuration get_soft_device_placement get_visible_devices
        list_logical_devices list_physical_devices optimizer run_functions_eagerly
        set_logical_device_configuration set_soft_device_placement set_visible_devices threading
    """,
    "profond.nest": """
        assert_same_structure flatten is_nested map_structure pack_sequence_as
    """,
    "profond.dtypes": """
        DType QUANTIZED_DTYPES as_dtype bfloat16 bool cast complex complex128 complex64 double
        experimental float16 float32 float64 half int16 int32 int64 int8 qint16 qint32 qint8 quint16
        quint8 resource saturate_cast string uint16 uint32 uint64 uint8 variant
    """,
    "profond.saved_model": """
        ASSETS_DIRECTORY ASSETS_KEY Asset CLASSIFY_INPUTS CLASSIFY_METHOD_NAME
        CLASSIFY_OUTPUT_CLASSES CLASSIFY_OUTPUT_SCORES DEBUG_DIRECTORY DEBUG_INFO_FILENAME_PB
        DEFAULT_SERVING_SIGNATURE_DEF_KEY GPU LoadOptions PREDICT_INPUTS PREDICT_METHOD_NAME
        PREDICT_OUTPUTS REGRESS_INPUTS REGRESS_METHOD_NAME REGRESS_OUTPUTS SAVED_MODEL_FILENAME_PB
        SAVED_MODEL_FILENAME_PBTXT SAVED_MODEL_SCHEMA_VERSION SERVING SaveOptions TPU TRAINING
        VARIABLES_DIRECTORY VARIABLES_FILENAME contains_saved_model experimental load save
    """,
    "profond.experimental": """
        BatchableExtensionType DynamicRaggedShape ExtensionType ExtensionTypeBatchEncoder
        ExtensionTypeSpec Optional RowPartition StructuredTensor async_clear_error async_scope
        dispatch_for_api dispatch_for_binary_elementwise_apis
        dispatch_for_binary_elementwise_assert_apis dispatch_for_unary_elementwise_apis dlpack
        dtensor enable_strict_mode extension_type float4_e2m1fn float8_e4m3b11fnuz float8_e4m3fn
        float8_e4m3fnuz float8_e5m2 float8_e5m2fnuz function_executor_type int2 int4 numpy
        register_filesystem_plugin tensorrt uint2 uint4 unregister_dispatch_for
    """,
    "profond.data.experimental": """
        AUTOTUNE AutoShardPolicy AutotuneAlgorithm AutotuneOptions Counter CsvDataset
        DatasetInitializer DistributeOptions ExternalStatePolicy INFINITE_CARDINALITY
        OptimizationOptions Optional RandomDataset Reducer SHARD_HINT ServiceOptions SqlDataset
        TFRecordWriter ThreadingOptions UNKNOWN_CARDINALITY assert_cardinality at
        bucket_by_sequence_length cardinality choose_from_datasets copy_to_device
        dense_to_ragged_batch dense_to_sparse_batch distributed_save enable_debug_mode
        enumerate_dataset from_list from_variant get_model_proto get_next_as_optional
        get_single_element get_structure group_by_reducer group_by_window ignore_errors
        index_table_from_dataset load make_batched_features_dataset make_csv_dataset
        make_saveable_from_iterator map_and_batch pad_to_cardinality parallel_interleave
        parse_example_dataset prefetch_to_device rejection_resample sample_from_datasets save scan
        service shuffle_and_repeat snapshot table_from_dataset take_while to_variant unbatch unique
    """,
    "profond.keras.backend": """
        backend clear_session epsilon floatx get_uid image_data_format is_float_dtype is_int_dtype
        is_keras_tensor result_type set_epsilon set_floatx set_image_data_format standardize_dtype
    """,
    "profond.keras.config": """
        backend disable_flash_attention disable_interactive_logging disable_traceback_filtering
        dtype_policy enable_flash_attention enable_interactive_logging enable_traceback_filtering
        enable_unsafe_deserialization epsilon floatx image_data_format is_flash_attention_enabled
        is_interactive_logging_enabled is_nnx_enabled is_traceback_filtering_enabled max_epochs
        max_steps_per_epoch set_backend set_dtype_policy set_epsilon set_floatx
        set_image_data_format set_max_epochs set_max_steps_per_epoch
    """,
    "profond.keras.mixed_precision": """
        DTypePolicy LossScaleOptimizer Policy dtype_policy global_policy set_dtype_policy
        set_global_policy
    """,
    "profond.keras.applications": """
        ConvNeXtBase ConvNeXtLarge ConvNeXtSmall ConvNeXtTiny ConvNeXtXLarge DenseNet121 DenseNet169
        DenseNet201 EfficientNetB0 EfficientNetB1 EfficientNetB2 EfficientNetB3 EfficientNetB4
        EfficientNetB5 EfficientNetB6 EfficientNetB7 EfficientNetV2B0 EfficientNetV2B1
        EfficientNetV2B2 EfficientNetV2B3 EfficientNetV2L EfficientNetV2M EfficientNetV2S
        InceptionResNetV2 InceptionV3 MobileNet MobileNetV2 MobileNetV3Large MobileNetV3Small
        NASNetLarge NASNetMobile ResNet101 ResNet101V2 ResNet152 ResNet152V2 ResNet50 ResNet50V2
        VGG16 VGG19 Xception convnext densenet efficientnet efficientnet_v2 imagenet_utils
        inception_resnet_v2 inception_v3 mobilenet mobilenet_v2 mobilenet_v3 nasnet resnet resnet50
        resnet_v2 vgg16 vgg19 xception
    """,
    "profond.keras.constraints": """
        Constraint MaxNorm MinMaxNorm NonNeg UnitNorm deserialize get max_norm min_max_norm non_neg
        serialize unit_norm
    """,
    "profond.keras.models": """
        Model Sequential clone_model load_model model_from_json save_model
    """,
    "profond.keras.callbacks": """
        BackupAndRestore CSVLogger Callback CallbackList EarlyStopping History LambdaCallback
        LearningRateScheduler ModelCheckpoint OrbaxCheckpoint ProgbarLogger ReduceLROnPlateau
        RemoteMonitor SwapEMAWeights TensorBoard TerminateOnNaN
    """,
    "profond.keras.optimizers": """
        Adadelta Adafactor Adagrad Adam AdamW Adamax Ftrl Lamb Lion LossScaleOptimizer
        MultiOptimizer Muon Nadam Optimizer OptimizerMap RMSprop SGD ScheduleFreeAdamW deserialize
        get legacy schedules serialize
    """,
    "profond.keras.optimizers.schedules": """
        CosineDecay CosineDecayRestarts ExponentialDecay InverseTimeDecay LearningRateSchedule
        PiecewiseConstantDecay PolynomialDecay deserialize serialize
    """,
    "profond.keras.losses": """
        BinaryCrossentropy BinaryFocalCrossentropy CTC CategoricalCrossentropy
        CategoricalFocalCrossentropy CategoricalGeneralizedCrossEntropy CategoricalHinge Circle
        CosineSimilarity Dice Hinge Huber KLDivergence LogCosh Loss MeanAbsoluteError
        MeanAbsolutePercentageError MeanSquaredError MeanSquaredLogarithmicError Poisson
        SparseCategoricalCrossentropy SquaredHinge Tversky binary_crossentropy
        binary_focal_crossentropy categorical_crossentropy categorical_focal_crossentropy
        categorical_generalized_cross_entropy categorical_hinge circle cosine_similarity ctc
        deserialize dice get hinge huber kl_divergence log_cosh mean_absolute_error
        mean_absolute_percentage_error mean_squared_error mean_squared_logarithmic_error poisson
        serialize sparse_categorical_crossentropy squared_hinge tversky
    """,
    "profond.keras.metrics": """
        AUC Accuracy BinaryAccuracy BinaryCrossentropy BinaryIoU CategoricalAccuracy
        CategoricalCrossentropy CategoricalHinge ConcordanceCorrelation CosineSimilarity F1Score
        FBetaScore FalseNegatives FalsePositives Hinge IoU KLDivergence LogCoshError Mean
        MeanAbsoluteError MeanAbsolutePercentageError MeanIoU MeanMetricWrapper MeanSquaredError
        MeanSquaredLogarithmicError Metric OneHotIoU OneHotMeanIoU PearsonCorrelation Poisson
        Precision PrecisionAtRecall R2Score Recall RecallAtPrecision RootMeanSquaredError
        SensitivityAtSpecificity SparseCategoricalAccuracy SparseCategoricalCrossentropy
        SparseTopKCategoricalAccuracy SpecificityAtSensitivity SquaredHinge Sum
        TopKCategoricalAccuracy TrueNegatives TruePositives binary_accuracy binary_crossentropy
        binary_focal_crossentropy categorical_accuracy categorical_crossentropy
        categorical_focal_crossentropy categorical_hinge concordance_correlation deserialize get
        hinge huber kl_divergence log_cosh mean_absolute_error mean_absolute_percentage_error
        mean_squared_error mean_squared_logarithmic_error pearson_correlation poisson serialize
        sparse_categorical_accuracy sparse_categorical_crossentropy
        sparse_top_k_categorical_accuracy squared_hinge top_k_categorical_accuracy
    """,
    "profond.keras.activations": """
        celu deserialize elu exponential gelu get glu hard_shrink hard_sigmoid hard_silu hard_swish
        hard_tanh leaky_relu linear log_sigmoid log_softmax mish relu relu6 selu serialize sigmoid
        silu soft_shrink softmax softplus softsign sparse_plus sparse_sigmoid sparsemax squareplus
        swish tanh tanh_shrink threshold
    """,
    "profond.keras.initializers": """
        Constant GlorotNormal GlorotUniform HeNormal HeUniform Identity IdentityInitializer
        Initializer LecunNormal LecunUniform Ones Orthogonal OrthogonalInitializer RandomNormal
        RandomUniform STFT STFTInitializer TruncatedNormal VarianceScaling Zeros constant
        deserialize get glorot_normal glorot_uniform he_normal he_uniform identity lecun_normal
        lecun_uniform ones orthogonal random_normal random_uniform serialize stft truncated_normal
        variance_scaling zeros
    """,
    "profond.keras.regularizers": """
        L1 L1L2 L2 OrthogonalRegularizer Regularizer deserialize get l1 l1_l2 l2
        orthogonal_regularizer serialize
    """,
    "profond.keras.utils": """
        Config CustomObjectScope FeatureSpace Progbar PyDataset Sequence array_to_img
        audio_dataset_from_directory bounding_boxes clear_session custom_object_scope
        deserialize_keras_object disable_interactive_logging enable_interactive_logging
        get_custom_objects get_file get_registered_name get_registered_object get_source_inputs
        image_dataset_from_directory img_to_array is_interactive_logging_enabled is_keras_tensor
        legacy load_img model_to_dot normalize pack_x_y_sample_weight pad_sequences plot_model
        register_keras_serializable save_img serialize_keras_object set_random_seed split_dataset
        standardize_dtype text_dataset_from_directory timeseries_dataset_from_array to_categorical
        unpack_x_y_sample_weight
    """,
    "profond.keras.ops": """
        abs absolute adaptive_average_pool adaptive_max_pool add all allclose amax amin angle any
        append arange arccos arccosh arcsin arcsinh arctan arctan2 arctanh argmax argmin
        argpartition argsort array array_split associative_scan average average_pool bartlett
        batch_normalization binary_crossentropy bincount bitwise_and bitwise_invert
        bitwise_left_shift bitwise_not bitwise_or bitwise_right_shift bitwise_xor blackman
        broadcast_to cast categorical_crossentropy cbrt cdist ceil celu cholesky cholesky_inverse
        clip concatenate cond conj conjugate conv conv_transpose convert_to_numpy convert_to_tensor
        copy corrcoef correlate cos cosh count_nonzero cross ctc_decode ctc_loss cumprod cumsum
        custom_gradient deg2rad depth_to_space depthwise_conv det diag diagflat diagonal diff
        digitize divide divide_no_nan dot dot_product_attention dsplit dstack dtype eig eigh einsum
        elu empty empty_like equal erf erfc erfinv exp exp2 expand_dims expm1 extract_sequences eye
        fabs fft fft2 flip fliplr flipud floor floor_divide fmax fmin fmod fold fori_loop full
        full_like gcd gelu geomspace get_item glu greater greater_equal hamming hanning hard_shrink
        hard_sigmoid hard_silu hard_swish hard_tanh heaviside histogram hsplit hstack hypot i0
        identity ifft2 imag image in_top_k inner inv irfft is_tensor isclose isfinite isin isinf
        isnan isneginf isposinf isreal istft jvp kaiser kron layer_normalization lcm ldexp
        leaky_relu left_shift less less_equal linalg linspace log log10 log1p log2 log_sigmoid
        log_softmax logaddexp logaddexp2 logdet logical_and logical_not logical_or logical_xor
        logspace logsumexp lstsq lu_factor map matmul matrix_rank max max_pool maximum mean median
        meshgrid min minimum mod moments moveaxis multi_hot multiply nan_to_num nanargmax nanargmin
        nancumprod nancumsum nanmax nanmean nanmedian nanmin nanpercentile nanprod nanquantile
        nanstd nansum nanvar ndim negative nextafter nn nonzero norm normalize not_equal numpy
        one_hot ones ones_like outer pad percentile pinv polar power prod psnr ptp qr quantile
        rad2deg ravel real rearrange reciprocal relu relu6 repeat reshape rfft right_shift
        rms_normalization roll rot90 round rsqrt saturate_cast scan scatter scatter_update
        searchsorted segment_max segment_min segment_prod segment_sum select selu separable_conv
        shape sigmoid sign signbit silu sin sinc sinh size slice slice_update slogdet soft_shrink
        softmax softplus softsign solve solve_triangular sort space_to_depth
        sparse_categorical_crossentropy sparse_plus sparse_sigmoid sparsemax split sqrt square
        squareplus squeeze stack std stft stop_gradient subtract sum svd swapaxes swish switch take
        take_along_axis tan tanh tanh_shrink tensordot threshold tile top_k trace transpose
        trapezoid tri tril triu true_divide trunc unfold unique unravel_index unstack vander var
        vdot vectorize vectorized_map view view_as_complex view_as_real vsplit vstack where
        while_loop zeros zeros_like
    """,
    "profond.keras.random": """
        SeedGenerator beta binomial categorical dropout gamma normal randint shuffle
        truncated_normal uniform
    """,
    "profond.keras.preprocessing": """
        image image_dataset_from_directory sequence text text_dataset_from_directory
        timeseries_dataset_from_array
    """,
    "profond.keras.preprocessing.image": """
        DirectoryIterator ImageDataGenerator Iterator NumpyArrayIterator apply_affine_transform
        apply_brightness_shift apply_channel_shift array_to_img img_to_array load_img
        random_brightness random_channel_shift random_rotation random_shear random_shift
        random_zoom save_img smart_resize
    """,
    "profond.keras.preprocessing.sequence": """
        TimeseriesGenerator make_sampling_table pad_sequences skipgrams
    """,
    "profond.keras.preprocessing.text": """
        Tokenizer hashing_trick one_hot text_to_word_sequence tokenizer_from_json
    """,
    "profond.keras.datasets": """
        boston_housing california_housing cifar10 cifar100 fashion_mnist imdb mnist reuters
    """,
    "profond.image": """
        ResizeMethod adjust_brightness adjust_contrast adjust_gamma adjust_hue adjust_jpeg_quality
        adjust_saturation central_crop combined_non_max_suppression convert_image_dtype
        crop_and_resize crop_to_bounding_box decode_and_crop_jpeg decode_bmp decode_gif decode_image
        decode_jpeg decode_jxl decode_png decode_webp draw_bounding_boxes encode_jpeg encode_png
        extract_glimpse extract_jpeg_shape extract_patches flip_left_right flip_up_down
        generate_bounding_box_proposals grayscale_to_rgb hsv_to_rgb image_gradients is_jpeg
        non_max_suppression non_max_suppression_overlaps non_max_suppression_padded
        non_max_suppression_with_scores pad_to_bounding_box per_image_standardization psnr
        random_brightness random_contrast random_crop random_flip_left_right random_flip_up_down
        random_hue random_jpeg_quality random_saturation resize resize_with_crop_or_pad
        resize_with_pad rgb_to_grayscale rgb_to_hsv rgb_to_yiq rgb_to_yuv rot90
        sample_distorted_bounding_box sobel_edges ssim ssim_multiscale stateless_random_brightness
        stateless_random_contrast stateless_random_crop stateless_random_flip_left_right
        stateless_random_flip_up_down stateless_random_hue stateless_random_jpeg_quality
        stateless_random_saturation stateless_sample_distorted_bounding_box total_variation
        transpose yiq_to_rgb yuv_to_rgb
    """,
    "profond.random": """
        Algorithm Generator all_candidate_sampler categorical create_rng_state experimental
        fixed_unigram_candidate_sampler fold_in gamma get_global_generator
        learned_unigram_candidate_sampler log_uniform_candidate_sampler normal poisson
        set_global_generator set_seed shuffle split stateless_binomial stateless_categorical
        stateless_gamma stateless_normal stateless_parameterized_truncated_normal stateless_poisson
        stateless_truncated_normal stateless_uniform truncated_normal uniform
        uniform_candidate_sampler
    """,
    "profond.data": """
        AUTOTUNE Dataset DatasetSpec FixedLengthRecordDataset INFINITE_CARDINALITY Iterator
        IteratorSpec NumpyIterator Options TFRecordDataset TextLineDataset ThreadingOptions
        UNKNOWN_CARDINALITY experimental
    """,
}
REAL_NAMES = {module: frozenset(names.split()) for module, names in _REAL.items()}
# profond's own modules behind a Keras path answer for the names of that path.
REAL_NAMES["profond.mixed_precision"] = REAL_NAMES["profond.keras.mixed_precision"]
REAL_NAMES["profond.applications"] = REAL_NAMES["profond.keras.applications"]


def missing_name(module, name):
    """The ``AttributeError`` for ``module.name`` when profond has no such name.

    >>> str(missing_name("profond", "RaggedTensor"))[:60]
    "module 'profond' has no attribute 'RaggedTensor': it is a Te"
    """
    message = f"module {module!r} has no attribute {name!r}"
    if name in REAL_NAMES.get(module, ()):
        message += (": it is a TensorFlow/Keras name that profond does not implement yet. "
                    "See the profond documentation for what is supported, or open an issue.")
    else:
        message += ": profond has no such name, and neither does TensorFlow/Keras."
    return AttributeError(message)
